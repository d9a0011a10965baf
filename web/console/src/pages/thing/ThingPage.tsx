// A thing's page: its id and policy on top, then one tab per view, each at its own address
// (/console/things/<thingId>/<tab>) so a view can be linked and the browser's back button works.
import { Stack, Tabs, Text } from "@mantine/core";
import { lazy, Suspense } from "react";
import { useLocation } from "wouter";

import { segment } from "../../api/client";
import { PageTitle } from "../../components/PageTitle";

const TABS = [
  { value: "overview", label: "Overview", panel: lazy(() => import("./OverviewPanel")) },
  { value: "edit", label: "Edit", panel: lazy(() => import("../things/EditPanel")) },
  { value: "revisions", label: "Revisions", panel: lazy(() => import("./RevisionsPanel")) },
  { value: "history", label: "History", panel: lazy(() => import("./HistoryPanel")) },
  { value: "messages", label: "Messages", panel: lazy(() => import("./MessagesPanel")) },
  { value: "policy", label: "Policy", panel: lazy(() => import("./PolicyPanel")) },
] as const;

export function ThingPage({ thingId, tab }: { thingId: string; tab?: string }) {
  const [, navigate] = useLocation();
  const current = TABS.find((entry) => entry.value === tab) ?? TABS[0];
  return (
    <Stack gap="md">
      <PageTitle title={thingId} parent={{ href: "/things", label: "Things" }} />
      <Tabs value={current.value} onChange={(value) => navigate(`/things/${segment(thingId)}/${value ?? "overview"}`)}
        keepMounted={false}>
        <Tabs.List style={{ overflowX: "auto", flexWrap: "nowrap" }}>
          {TABS.map((entry) => (
            <Tabs.Tab key={entry.value} value={entry.value}>{entry.label}</Tabs.Tab>
          ))}
        </Tabs.List>
        {TABS.map(({ value, panel: Panel }) => (
          <Tabs.Panel key={value} value={value} pt="md">
            {value === current.value && (
              <Suspense fallback={<Text c="dimmed">Loading…</Text>}>
                <Panel thingId={thingId} />
              </Suspense>
            )}
          </Tabs.Panel>
        ))}
      </Tabs>
    </Stack>
  );
}
