// The thing page's Messages tab (to be built).
import { Text } from "@mantine/core";

export default function MessagesPanel({ thingId }: { thingId: string }) {
  return <Text c="dimmed">Messages of {thingId}</Text>;
}
