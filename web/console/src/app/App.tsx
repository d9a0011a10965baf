// Signed out: the sign-in form. Signed in: the sections, each at its own address under /console/.
import { Redirect, Route, Router, Switch } from "wouter";

import { ConnectionsPage } from "../pages/connections/ConnectionsPage";
import { DevicesPage } from "../pages/devices/DevicesPage";
import { PoliciesPage } from "../pages/policies/PoliciesPage";
import { ThingPage } from "../pages/thing/ThingPage";
import { ThingsPage } from "../pages/things/ThingsPage";
import { NotFound } from "./NotFound";
import { useSessionState } from "./session";
import { Shell } from "./Shell";
import { SignIn } from "./SignIn";

export function App() {
  const { session } = useSessionState();
  if (!session) return <SignIn />;
  return (
    <Router base="/console">
      <Shell>
        <Switch>
          <Route path="/">
            <Redirect to="/things" replace />
          </Route>
          <Route path="/things" component={ThingsPage} />
          <Route path="/things/:thingId/:tab?">
            {(params) => <ThingPage thingId={decodeURIComponent(params.thingId)} tab={params.tab} />}
          </Route>
          <Route path="/policies" nest component={PoliciesPage} />
          <Route path="/connections" nest component={ConnectionsPage} />
          <Route path="/devices" component={DevicesPage} />
          <Route component={NotFound} />
        </Switch>
      </Shell>
    </Router>
  );
}
