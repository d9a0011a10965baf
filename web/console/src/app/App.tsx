// Signed out: the sign-in form. Signed in: the sections, each at its own address under /console/, each loaded
// when first opened (the sign-in page needs none of them).
import { Loader } from "@mantine/core";
import { lazy, Suspense, type ReactNode } from "react";
import { Redirect, Route, Router, Switch } from "wouter";

import { pathSegment, useAddress, useAddressSearch } from "./addresses";
import { NotFound } from "./NotFound";
import { useSessionState } from "./session";
import { Shell } from "./Shell";
import { SignIn } from "./SignIn";

const ConnectionsPage = lazy(() => import("../pages/connections/ConnectionsPage").then((m) => ({
  default: m.ConnectionsPage })));
const DevicesPage = lazy(() => import("../pages/devices/DevicesPage").then((m) => ({ default: m.DevicesPage })));
const PoliciesPage = lazy(() => import("../pages/policies/PoliciesPage").then((m) => ({ default: m.PoliciesPage })));
const ThingPage = lazy(() => import("../pages/thing/ThingPage").then((m) => ({ default: m.ThingPage })));
const ThingsPage = lazy(() => import("../pages/things/ThingsPage").then((m) => ({ default: m.ThingsPage })));

/** A section while its script loads. One boundary per section (its own key): a boundary shared by all would, on
 * going to a section not loaded yet, keep the one left mounted and hidden instead of replacing it. */
function Loaded({ name, children }: { name: string; children: ReactNode }) {
  return (
    <Suspense key={name} fallback={<Loader aria-label="Loading" />}>
      {children}
    </Suspense>
  );
}

export function App() {
  const { session } = useSessionState();
  if (!session) return <SignIn />;
  return (
    <Router base="/console" hook={useAddress} searchHook={useAddressSearch}>
      <Shell>
        <Switch>
          <Route path="/">
            <Redirect to="/things" replace />
          </Route>
          <Route path="/things">
            <Loaded name="things"><ThingsPage /></Loaded>
          </Route>
          <Route path="/things/:thingId/:tab?">
            {(params) => {
              const thingId = pathSegment(params.thingId);
              return thingId === null ? <NotFound /> : (
                <Loaded name="thing"><ThingPage thingId={thingId} tab={params.tab} /></Loaded>
              );
            }}
          </Route>
          <Route path="/policies" nest>
            <Loaded name="policies"><PoliciesPage /></Loaded>
          </Route>
          <Route path="/connections" nest>
            <Loaded name="connections"><ConnectionsPage /></Loaded>
          </Route>
          <Route path="/devices">
            <Loaded name="devices"><DevicesPage /></Loaded>
          </Route>
          <Route component={NotFound} />
        </Switch>
      </Shell>
    </Router>
  );
}
