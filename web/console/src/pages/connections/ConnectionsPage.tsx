import { Title } from "@mantine/core";

export function ConnectionsPage() {
  return <Title order={2}>Connections</Title>;
}
