import { Title } from "@mantine/core";

export function ThingPage({ thingId }: { thingId: string }) {
  return <Title order={2}>{thingId}</Title>;
}
