import { Title } from "@mantine/core";

export function ThingsPage() {
  return <Title order={2}>Things</Title>;
}
