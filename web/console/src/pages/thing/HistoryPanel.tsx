// The thing page's History tab (to be built).
import { Text } from "@mantine/core";

export default function HistoryPanel({ thingId }: { thingId: string }) {
  return <Text c="dimmed">History of {thingId}</Text>;
}
