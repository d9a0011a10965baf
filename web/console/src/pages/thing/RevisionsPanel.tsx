// The thing page's Revisions tab (to be built).
import { Text } from "@mantine/core";

export default function RevisionsPanel({ thingId }: { thingId: string }) {
  return <Text c="dimmed">Revisions of {thingId}</Text>;
}
