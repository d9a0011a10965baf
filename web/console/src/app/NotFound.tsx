import { Anchor, Stack, Text } from "@mantine/core";
import { Link } from "wouter";

import { PageTitle } from "../components/PageTitle";

export function NotFound() {
  return (
    <Stack>
      <PageTitle title="Not found" />
      <Text>
        There is no such page. <Anchor component={Link} href="/things" underline="always">Go to the things</Anchor>.
      </Text>
    </Stack>
  );
}
