// How the thing pages show a JSON value and a timestamp, and page a long list.
import { Code, Group, Pagination, Text } from "@mantine/core";
import dayjs from "dayjs";
import { useEffect, useState } from "react";

import type { Json } from "./liveThing";
import classes from "./live.module.css";

/** A JSON value as JSON (so "5" and 5 differ); an absent one as a dash that says so. */
export function JsonText({ value, pretty = false }: { value: Json | undefined; pretty?: boolean }) {
  if (value === undefined) return <Text span c="dimmed" aria-label="absent">—</Text>;
  return <Code className={classes.value}>{JSON.stringify(value, null, pretty ? 2 : undefined)}</Code>;
}

/** A server timestamp in local time, the exact value on hover. */
export function Timestamp({ value }: { value: Json | undefined }) {
  if (typeof value !== "string") return <Text span c="dimmed">—</Text>;
  const parsed = dayjs(value);
  return (
    <Text span title={value}>
      {parsed.isValid() ? parsed.format("YYYY-MM-DD HH:mm:ss") : value}
    </Text>
  );
}

/** One page of `items` and the controls to choose another; the page stays in range when `items` shrink. */
export function usePage<T>(items: readonly T[], size: number): { rows: readonly T[]; controls: React.ReactNode } {
  const [page, setPage] = useState(1);
  const pages = Math.max(1, Math.ceil(items.length / size));
  useEffect(() => {
    if (page > pages) setPage(pages);
  }, [page, pages]);
  const current = Math.min(page, pages);
  const rows = items.slice((current - 1) * size, current * size);
  const controls = pages > 1 ? <PageControls page={current} pages={pages} onChange={setPage} /> : null;
  return { rows, controls };
}

export function PageControls({ page, pages, onChange, label = "Pages" }: {
  page: number; pages: number; onChange: (page: number) => void; label?: string;
}) {
  return (
    <Group justify="center">
      <Pagination.Root total={pages} value={page} onChange={onChange} size="sm" siblings={1} boundaries={1}
        getItemProps={(item) => ({ "aria-label": `Page ${item}` })}>
        <Group gap={4} component="nav" aria-label={label} wrap="wrap">
          <Pagination.Previous aria-label="Previous page" />
          <Pagination.Items />
          <Pagination.Next aria-label="Next page" />
        </Group>
      </Pagination.Root>
    </Group>
  );
}
