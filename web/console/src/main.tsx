import "@mantine/core/styles.css";
import "@mantine/dates/styles.css";
import "@mantine/notifications/styles.css";
import "uplot/dist/uPlot.min.css";
import "./app/console.css";

import { createTheme, localStorageColorSchemeManager, MantineProvider, TableScrollContainer, type CSSVariablesResolver } from "@mantine/core";
import { Notifications } from "@mantine/notifications";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { App } from "./app/App";
import { SessionProvider } from "./app/session";

// Mantine's default shades fail WCAG AA contrast (4.5:1) for small text: white on a filled teal or red (shade 6)
// is ~2.6:1, dimmed grey on white ~3.3:1, a "light" badge's or active link's text on its tint ~4.3:1. Filled
// colours use shade 9, tints the palest shade and dimmed text one shade further from the background, so the
// console reads in both schemes while keeping Mantine's palette.
const theme = createTheme({
  primaryColor: "teal",
  primaryShade: { light: 9, dark: 9 },
  defaultRadius: "sm",
  components: {
    // A table wider than a phone scrolls inside its container: the keyboard must be able to reach and scroll it too.
    TableScrollContainer: TableScrollContainer.extend({ defaultProps: { scrollAreaProps: { viewportProps: { tabIndex: 0 } } } }),
  },
});
const cssVariablesResolver: CSSVariablesResolver = (resolved) => ({
  variables: {},
  light: {
    "--mantine-color-dimmed": "var(--mantine-color-gray-7)",
    ...Object.fromEntries(Object.keys(resolved.colors).map((name) => [`--mantine-color-${name}-light`, `var(--mantine-color-${name}-0)`])),
    // Even the darkest yellow and orange are too light for text on white (2.8:1, 4:1).
    ...Object.fromEntries(["yellow", "orange"].flatMap((name) => ["light-color", "text", "outline"].map((variable) => [
      `--mantine-color-${name}-${variable}`, `color-mix(in srgb, var(--mantine-color-${name}-9), black 35%)`]))),
  },
  dark: { "--mantine-color-dimmed": "var(--mantine-color-dark-1)" },
});
// The chosen scheme is remembered; until one is chosen, the system's ("auto").
const colorSchemeManager = localStorageColorSchemeManager({ key: "twinhub.console.color-scheme" });

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver} defaultColorScheme="auto" colorSchemeManager={colorSchemeManager}>
      <Notifications />
      <SessionProvider>
        <App />
      </SessionProvider>
    </MantineProvider>
  </StrictMode>,
);
