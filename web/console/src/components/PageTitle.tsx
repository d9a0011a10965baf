// A page's heading, the same on every page: the section it belongs to as a breadcrumb link, its title as the page's
// one h1 (long ids wrap instead of widening a phone's page), and the browser tab named after it.
import { Anchor, Stack, Text, Title } from "@mantine/core";
import { useDocumentTitle } from "@mantine/hooks";
import type { ReactNode } from "react";
import { Link } from "wouter";

interface Props {
  title: string;
  /** The section above this page (its address relative to the current router's base). */
  parent?: { href: string; label: string };
  /** Shown under the title (badges, the id beside a name). */
  children?: ReactNode;
}

export function PageTitle({ title, parent, children }: Props) {
  useDocumentTitle(`${title} · twinhub`);
  return (
    <Stack gap={0} style={{ minWidth: 0 }}>
      {parent && (
        <Text component="nav" aria-label="Breadcrumb" size="sm" c="dimmed">
          <Anchor component={Link} href={parent.href}>{parent.label}</Anchor> /
        </Text>
      )}
      <Title order={1} size="h2" style={{ wordBreak: "break-all" }}>{title}</Title>
      {children}
    </Stack>
  );
}
