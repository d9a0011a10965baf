import { Anchor, Stack, Text, Title } from "@mantine/core";
import { Link } from "wouter";

export function NotFound() {
  return (
    <Stack>
      <Title order={2}>Not found</Title>
      <Text>
        There is no such page. <Anchor component={Link} href="/things">Go to the things</Anchor>.
      </Text>
    </Stack>
  );
}
