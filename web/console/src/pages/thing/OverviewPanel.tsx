// The thing page's Overview tab: the thing as the caller may read it (definition, policy, revision, last change,
// attributes, and each feature's reported and desired properties side by side), kept current by its twin events
// over the WebSocket, with the stream's state shown and each change highlighted for a moment.
import { ActionIcon, Alert, Anchor, Badge, Group, Loader, Paper, SimpleGrid, Stack, Text, Title, Tooltip,
  VisuallyHidden } from "@mantine/core";
import { IconRefresh } from "@tabler/icons-react";
import { Link } from "wouter";

import { segment } from "../../api/client";
import { ErrorAlert } from "../../components/ErrorAlert";
import { LeafTable } from "./LeafTable";
import { isObject, type Json, type JsonObject } from "./liveThing";
import { useLiveThing, type LiveStatus } from "./useLiveThing";
import { JsonText, Timestamp, usePage } from "./values";

const FEATURES_PER_PAGE = 10;

export default function OverviewPanel({ thingId }: { thingId: string }) {
  const live = useLiveThing(thingId);
  const changed = live.highlight?.paths ?? [];
  return (
    <Stack gap="md">
      <Group justify="space-between">
        <LiveBadge status={live.status} />
        <Tooltip label="Read the thing again">
          <ActionIcon variant="default" aria-label="Read the thing again" onClick={live.reload}>
            <IconRefresh size={16} aria-hidden />
          </ActionIcon>
        </Tooltip>
      </Group>
      <VisuallyHidden aria-live="polite" data-testid="last-change">
        {live.change && `Revision ${live.change.revision} changed ${live.change.paths.join(", ")}`}
      </VisuallyHidden>
      {live.deleted && <Alert color="orange" title="Deleted">This thing was deleted.</Alert>}
      {live.error !== null && <ErrorAlert error={live.error} title="Could not read the thing" />}
      {!live.thing && live.error === null && !live.deleted && (
        <Group gap="xs"><Loader size="sm" aria-label="Loading the thing" /><Text c="dimmed">Loading…</Text></Group>
      )}
      {live.thing && <ThingView thing={live.thing} changed={changed} />}
    </Stack>
  );
}

function LiveBadge({ status }: { status: LiveStatus }) {
  const shown = {
    live: { color: "teal", text: "Live" },
    connecting: { color: "gray", text: "Connecting…" },
    reconnecting: { color: "orange", text: "Reconnecting…" },
  }[status];
  return (
    <Badge role="status" variant="dot" color={shown.color} size="lg" aria-label={`Live updates: ${shown.text}`}>
      {shown.text}
    </Badge>
  );
}

function ThingView({ thing, changed }: { thing: JsonObject; changed: readonly string[] }) {
  const features = isObject(thing.features) ? Object.entries(thing.features) : [];
  const { rows: shownFeatures, controls } = usePage(features, FEATURES_PER_PAGE);
  const policyId = typeof thing.policyId === "string" ? thing.policyId : null;
  return (
    <Stack gap="lg">
      <Paper withBorder p="md">
        <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} spacing="md">
          <Fact label="Definition"><JsonText value={thing.definition} /></Fact>
          <Fact label="Policy">
            {policyId ? <Anchor component={Link} href={`/policies/${segment(policyId)}`} style={{ wordBreak: "break-all" }}>
              {policyId}</Anchor> : <Text span c="dimmed">—</Text>}
          </Fact>
          <Fact label="Revision"><Text span data-testid="thing-revision">{String(thing._revision ?? "—")}</Text></Fact>
          <Fact label="Modified"><Timestamp value={thing._modified} /></Fact>
        </SimpleGrid>
      </Paper>
      <Stack gap="xs" component="section" aria-labelledby="thing-attributes">
        <Title order={2} size="h3" id="thing-attributes">Attributes</Title>
        <LeafTable label="Attributes" base="/attributes" value={thing.attributes} changed={changed} />
      </Stack>
      <Stack gap="xs" component="section" aria-labelledby="thing-features">
        <Title order={2} size="h3" id="thing-features">Features</Title>
        {features.length === 0 && <Text c="dimmed" size="sm">No features.</Text>}
        {shownFeatures.map(([featureId, feature]) => (
          <FeatureView key={featureId} featureId={featureId} feature={feature} changed={changed} />
        ))}
        {controls}
      </Stack>
    </Stack>
  );
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <Stack gap={2}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>{label}</Text>
      <div>{children}</div>
    </Stack>
  );
}

function FeatureView({ featureId, feature, changed }: { featureId: string; feature: Json; changed: readonly string[] }) {
  const value = isObject(feature) ? feature : {};
  const base = `/features/${featureId}`;
  const hasDesired = value.desiredProperties !== undefined;
  return (
    <Paper withBorder p="md" component="article" aria-label={`Feature ${featureId}`}>
      <Stack gap="xs">
        <Group justify="space-between" wrap="wrap">
          <Title order={3} size="h4" style={{ wordBreak: "break-all" }}>{featureId}</Title>
          {value.definition !== undefined && <JsonText value={value.definition} />}
        </Group>
        <LeafTable label={`Properties of ${featureId}`} base={`${base}/properties`} value={value.properties}
          desiredBase={hasDesired ? `${base}/desiredProperties` : undefined} desired={value.desiredProperties}
          changed={changed} />
      </Stack>
    </Paper>
  );
}
