// Refresh now, or every few seconds while the view is open.
import { Button, Group, Switch, Text } from "@mantine/core";
import { IconRefresh } from "@tabler/icons-react";
import dayjs from "dayjs";
import { useEffect, useState } from "react";

export function RefreshControls({ loading, data, reload, auto, onAuto }: {
  loading: boolean;
  data: unknown;
  reload: () => void;
  auto: boolean;
  onAuto: (auto: boolean) => void;
}) {
  const [readAt, setReadAt] = useState<Date | null>(null);
  useEffect(() => {
    if (data !== null) setReadAt(new Date());
  }, [data]);
  return (
    <Group gap="sm" wrap="wrap">
      <Button variant="default" size="xs" leftSection={<IconRefresh size={14} />} loading={loading && !auto}
        onClick={reload}>Refresh</Button>
      <Switch label="Auto refresh" checked={auto} onChange={(event) => onAuto(event.currentTarget.checked)} />
      {readAt && <Text size="xs" c="dimmed">read at {dayjs(readAt).format("HH:mm:ss")}</Text>}
    </Group>
  );
}
