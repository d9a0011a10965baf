// Scenarios run with the official Eclipse Ditto JavaScript client against a twinhub server.
//
//   TWINHUB_URL=http://127.0.0.1:8080 TWINHUB_USER=ditto TWINHUB_PASSWORD=... node conformance.js [scenario...]
//
// Scenarios (scenarios/*.js; all of them when none is named): http, websocket, messages, live-commands, errors,
// own-origin.
// Credentials: TWINHUB_USER + TWINHUB_PASSWORD (HTTP basic), or TWINHUB_TOKEN (a bearer JWT, sent by the
// client's NodeHttpBearerAuth on HTTP and on the WebSocket upgrade). TWINHUB_WRONG_PASSWORD or
// TWINHUB_WRONG_TOKEN, when given, must be refused (401). TWINHUB_NAMESPACE: thing ids are `<namespace>:<name>`
// (random by default, so runs never share things).
// Prints one JSON line per check, {"scenario", "name", "ok", "details"}; exits 1 when any check failed.
'use strict';

const { check, runScenario, state } = require('./support');

const SCENARIOS = {
  http: require('./scenarios/http'),
  websocket: require('./scenarios/websocket'),
  messages: require('./scenarios/messages'),
  'live-commands': require('./scenarios/live-commands'),
  errors: require('./scenarios/errors'),
  'own-origin': require('./scenarios/own-origin'),
};

(async () => {
  const names = process.argv.slice(2);
  for (const name of names.length === 0 ? Object.keys(SCENARIOS) : names) {
    if (SCENARIOS[name] === undefined) {
      state.scenario = name;
      check('the scenario exists', false, { known: Object.keys(SCENARIOS) });
    } else {
      await runScenario(name, SCENARIOS[name]);
    }
  }
  process.exit(state.failures === 0 ? 0 : 1);
})();
