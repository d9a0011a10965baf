// The thing page's Policy tab (to be built).
import { Text } from "@mantine/core";

export default function PolicyPanel({ thingId }: { thingId: string }) {
  return <Text c="dimmed">Policy of {thingId}</Text>;
}
