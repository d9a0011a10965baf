import { Title } from "@mantine/core";

export function DevicesPage() {
  return <Title order={2}>Devices</Title>;
}
