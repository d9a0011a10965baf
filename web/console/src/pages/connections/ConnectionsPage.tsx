// The Connections section (admins only, as the API): the list at /connections, a new connection at
// /connections/new, one connection at /connections/<id>/<tab>. Each view loads when it is first shown.
import { Text } from "@mantine/core";
import { lazy, Suspense } from "react";
import { Route, Switch } from "wouter";

import { pathSegment } from "../../app/addresses";
import { NotFound } from "../../app/NotFound";

const ConnectionList = lazy(() => import("./ConnectionList"));
const NewConnection = lazy(() => import("./NewConnection"));
const ConnectionPage = lazy(() => import("./ConnectionPage"));

export function ConnectionsPage() {
  return (
    <Suspense fallback={<Text c="dimmed">Loading…</Text>}>
      <Switch>
        <Route path="/" component={ConnectionList} />
        <Route path="/new" component={NewConnection} />
        <Route path="/:id/:tab?">
          {(params) => {
            const id = pathSegment(params.id);
            return id === null ? <NotFound /> : <ConnectionPage id={id} tab={params.tab} />;
          }}
        </Route>
      </Switch>
    </Suspense>
  );
}
