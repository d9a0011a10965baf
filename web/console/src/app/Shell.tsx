// The frame around every page: navigation (a drawer on narrow screens), the light/dark switch, who is signed in.
import { ActionIcon, AppShell, Burger, Group, NavLink, Text, Tooltip, useComputedColorScheme, useMantineColorScheme } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { IconBox, IconCpu, IconLogout, IconMoon, IconPlugConnected, IconShieldLock, IconSun } from "@tabler/icons-react";
import type { ReactNode } from "react";
import { Link, useLocation } from "wouter";

import { useSession } from "./session";

const SECTIONS = [
  { href: "/things", label: "Things", icon: IconBox },
  { href: "/policies", label: "Policies", icon: IconShieldLock },
  { href: "/connections", label: "Connections", icon: IconPlugConnected },
  { href: "/devices", label: "Devices", icon: IconCpu },
];

export function Shell({ children }: { children: ReactNode }) {
  const [opened, { toggle, close }] = useDisclosure();
  const [location] = useLocation();
  const { whoami, signOut } = useSession();
  const { setColorScheme } = useMantineColorScheme();
  const scheme = useComputedColorScheme("light");
  const other = scheme === "dark" ? "light" : "dark";

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: "sm", collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Navigation" />
            {/* The brand, not a heading: each page's own title is its one h1. */}
            <Text component="span" fw={700} fz="h4">twinhub</Text>
          </Group>
          <Group gap="xs" wrap="nowrap">
            <Text size="sm" c="dimmed" visibleFrom="xs" data-testid="signed-in-subject" truncate maw={260}>
              {whoami.defaultSubject}
            </Text>
            <Tooltip label={`Switch to ${other} mode`}>
              <ActionIcon variant="default" size="lg" onClick={() => setColorScheme(other)} aria-label={`Switch to ${other} mode`}>
                {scheme === "dark" ? <IconSun size={18} /> : <IconMoon size={18} />}
              </ActionIcon>
            </Tooltip>
            <Tooltip label="Sign out">
              <ActionIcon variant="default" size="lg" onClick={signOut} aria-label="Sign out">
                <IconLogout size={18} />
              </ActionIcon>
            </Tooltip>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="Sections">
        {SECTIONS.map(({ href, label, icon: Icon }) => (
          <NavLink key={href} component={Link} href={href} label={label} onClick={close}
            leftSection={<Icon size={18} stroke={1.5} />} active={location === href || location.startsWith(`${href}/`)} />
        ))}
      </AppShell.Navbar>
      <AppShell.Main id="main">{children}</AppShell.Main>
    </AppShell>
  );
}
