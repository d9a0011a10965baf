// The thing page's Overview tab (to be built).
import { Text } from "@mantine/core";

export default function OverviewPanel({ thingId }: { thingId: string }) {
  return <Text c="dimmed">Overview of {thingId}</Text>;
}
