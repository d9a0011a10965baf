// The thing page's Edit tab (to be built).
import { Text } from "@mantine/core";

export default function EditPanel({ thingId }: { thingId: string }) {
  return <Text c="dimmed">Edit of {thingId}</Text>;
}
