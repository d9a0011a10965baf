// The History tab's range: a preset that ends now (last 15 min, hour, 24 h, 7 days) or a custom from/to.
import { Group, SegmentedControl } from "@mantine/core";
import { DateTimePicker } from "@mantine/dates";
import dayjs from "dayjs";

export const PRESETS = [
  { value: "15m", label: "Last 15 min", ms: 15 * 60_000 },
  { value: "1h", label: "Last hour", ms: 3_600_000 },
  { value: "24h", label: "Last 24 h", ms: 86_400_000 },
  { value: "7d", label: "Last 7 days", ms: 7 * 86_400_000 },
] as const;

export interface RangeChoice {
  preset: (typeof PRESETS)[number]["value"] | "custom";
  /** The custom range's ends as the date pickers give them (local "YYYY-MM-DD HH:mm:ss"), or null. */
  from: string | null;
  to: string | null;
}

export type ResolvedRange = { from: Date; to: Date; endsNow: boolean } | { problem: string };

/** The instants `choice` stands for at `now`, or why it stands for none. */
export function resolveRange(choice: RangeChoice, now: Date): ResolvedRange {
  const preset = PRESETS.find((entry) => entry.value === choice.preset);
  if (preset) return { from: new Date(now.getTime() - preset.ms), to: now, endsNow: true };
  if (!choice.from || !choice.to) return { problem: "Choose when the range starts and ends." };
  const from = dayjs(choice.from).toDate();
  const to = dayjs(choice.to).toDate();
  if (!(from < to)) return { problem: "The range must start before it ends." };
  return { from, to, endsNow: false };
}

export function HistoryRange({ value, onChange }: { value: RangeChoice; onChange: (choice: RangeChoice) => void }) {
  return (
    <Group gap="sm" align="end" wrap="wrap">
      <SegmentedControl aria-label="Range" value={value.preset}
        onChange={(preset) => onChange(chosen(value, preset as RangeChoice["preset"]))}
        data={[...PRESETS.map(({ value: v, label }) => ({ value: v, label })), { value: "custom", label: "Custom" }]}
        style={{ flexWrap: "wrap", maxWidth: "100%" }} />
      {value.preset === "custom" && (
        <>
          <DateTimePicker label="From" placeholder="Start" value={value.from} clearable withSeconds miw={210}
            valueFormat="YYYY-MM-DD HH:mm:ss"
            onChange={(from) => onChange({ ...value, from })} maxDate={value.to ?? undefined} />
          <DateTimePicker label="To" placeholder="End" value={value.to} clearable withSeconds miw={210}
            valueFormat="YYYY-MM-DD HH:mm:ss"
            onChange={(to) => onChange({ ...value, to })} minDate={value.from ?? undefined} />
        </>
      )}
    </Group>
  );
}

/** `current` switched to `preset`; a custom range not yet chosen starts as the preset it replaces. */
function chosen(current: RangeChoice, preset: RangeChoice["preset"]): RangeChoice {
  const before = PRESETS.find((entry) => entry.value === current.preset);
  if (preset !== "custom" || !before || (current.from && current.to)) return { ...current, preset };
  const now = dayjs();
  return { preset, from: now.subtract(before.ms, "millisecond").format(PICKED), to: now.format(PICKED) };
}

const PICKED = "YYYY-MM-DD HH:mm:ss"; // the date pickers' value format (local time)
