// Signed out: the sign-in form. Signed in: the sections, each at its own address under /console/, each loaded
// when first opened (the sign-in page needs none of them).
import { Loader } from "@mantine/core";
import { lazy, Suspense } from "react";
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

export function App() {
  const { session } = useSessionState();
  if (!session) return <SignIn />;
  return (
    <Router base="/console" hook={useAddress} searchHook={useAddressSearch}>
      <Shell>
        <Suspense fallback={<Loader aria-label="Loading" />}>
          <Switch>
            <Route path="/">
              <Redirect to="/things" replace />
            </Route>
            <Route path="/things" component={ThingsPage} />
            <Route path="/things/:thingId/:tab?">
              {(params) => {
                const thingId = pathSegment(params.thingId);
                return thingId === null ? <NotFound /> : <ThingPage thingId={thingId} tab={params.tab} />;
              }}
            </Route>
            <Route path="/policies" nest component={PoliciesPage} />
            <Route path="/connections" nest component={ConnectionsPage} />
            <Route path="/devices" component={DevicesPage} />
            <Route component={NotFound} />
          </Switch>
        </Suspense>
      </Shell>
    </Router>
  );
}
