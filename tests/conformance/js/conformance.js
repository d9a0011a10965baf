// Scenarios run with the official Eclipse Ditto JavaScript client against a twinhub server.
// Usage: node conformance.js <scenario> <host:port> <user> <password> <namespace>
// Prints one JSON line per check ({"check", "ok", "detail"}); exits 1 when any check failed.
'use strict';

const ditto = require('@eclipse-ditto/ditto-javascript-client-node');

const [scenario, domain, user, password, namespace] = process.argv.slice(2);
let failures = 0;

function check(name, ok, detail) {
  if (!ok) failures += 1;
  console.log(JSON.stringify({ check: name, ok: Boolean(ok), detail: detail === undefined ? null : detail }));
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function httpClient() {
  return ditto.DittoNodeClient.newHttpClient().withoutTls().withDomain(domain)
    .withAuthProvider(ditto.NodeHttpBasicAuth.newInstance(user, password)).build();
}

function socketClient(channel) {
  const builder = ditto.DittoNodeClient.newWebSocketClient().withoutTls().withDomain(domain)
    .withAuthProvider(ditto.NodeWebSocketBasicAuth.newInstance(user, password)).withBuffer(100);
  return (channel === 'live' ? builder.liveChannel() : builder.twinChannel()).build();
}

// Resolves with the first value `predicate` accepts among those `subscribe(push)` pushes, or rejects on timeout.
function waitFor(subscribe, predicate, what, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
    subscribe((value) => {
      if (predicate(value)) {
        clearTimeout(timer);
        resolve(value);
      }
    });
  });
}

async function errorOf(promise) {
  try {
    await promise;
    return null;
  } catch (error) {
    return error;
  }
}

async function http() {
  const client = httpClient();
  const things = client.getThingsHandle();
  const thingId = `${namespace}:http-lamp`;

  const created = await things.putThing(new ditto.Thing(thingId, undefined, { room: 'kitchen' },
    { lamp: new ditto.Feature('lamp', undefined, { on: false }) }));
  check('putThing creates (201)', created.status === 201, created.status);

  const attribute = await things.putAttribute(thingId, 'room', 'hall');
  check('putAttribute modifies (204)', attribute.status === 204, attribute.status);

  const merged = await things.patchThing(new ditto.Thing(thingId, undefined, { floor: 2 }));
  check('patchThing merges (204)', merged.status === 204, merged.status);

  const read = await things.getThing(thingId, ditto.DefaultFieldsOptions.getInstance().withFields('thingId', 'attributes'));
  check('getThing with fields', read.thingId === thingId && same(read.attributes, { room: 'hall', floor: 2 })
    && read.features === undefined, read.toObject ? read.toObject() : read);

  const search = client.getSearchHandle();
  const found = await search.search(ditto.DefaultSearchOptions.getInstance()
    .withFilter(ditto.Eq('attributes/room', 'hall')).withNamespaces(namespace));
  check('search finds it', found.items.length === 1 && found.items[0].thingId === thingId,
    found.items.map((thing) => thing.thingId));
  const count = await search.count(ditto.DefaultCountOptions.getInstance()
    .withFilter(ditto.Eq('attributes/floor', 2)).withNamespaces(namespace));
  check('count', count === 1, count);

  const deleted = await things.deleteThing(thingId);
  check('deleteThing (204)', deleted.status === 204, deleted.status);
  const missing = await errorOf(things.getThing(thingId));
  const body = missing && (typeof missing.body === 'string' ? JSON.parse(missing.body) : missing.body);
  check('a missing thing is a Ditto 404', missing && missing.status === 404 && body.status === 404
    && body.error === 'things:thing.notfound', body);
}

async function websocket() {
  const client = socketClient('twin');
  const things = client.getThingsHandle();
  const events = client.getEventsHandle();
  const thingId = `${namespace}:socket-lamp`;

  await events.requestEvents();
  const received = [];
  const listeners = [];
  events.subscribeToThing(thingId, (event) => {
    received.push(event);
    listeners.forEach((listener) => listener(event));
  });
  const next = (predicate, what) => waitFor((push) => {
    received.forEach(push);
    listeners.push(push);
  }, predicate, what);

  const created = await things.putThing(new ditto.Thing(thingId, undefined, { on: false }));
  check('putThing over the socket creates (201)', created.status === 201, created.status);
  const createdEvent = await next((event) => event.topic.endsWith('/things/twin/events/created'), 'the created event');
  check('the created event', createdEvent.value.thingId === thingId && createdEvent.path === '/', createdEvent);

  const modified = await things.putAttribute(thingId, 'on', true);
  check('putAttribute over the socket (204)', modified.status === 204, modified.status);
  const modifiedEvent = await next((event) => event.topic.endsWith('/events/modified') && event.path === '/attributes/on',
    'the modified event');
  check('the modified event', modifiedEvent.value === true, modifiedEvent);

  const read = await things.getThing(thingId);
  check('getThing over the socket', read.thingId === thingId && same(read.attributes, { on: true }),
    read.toObject ? read.toObject() : read);

  const http = httpClient().getThingsHandle();
  await http.putAttribute(thingId, 'brightness', 80);
  const fromHttp = await next((event) => event.path === '/attributes/brightness', 'the event of an HTTP change');
  check('an HTTP change reaches the socket', fromHttp.value === 80 && fromHttp.topic.endsWith('/events/created'), fromHttp);

  const missing = await errorOf(things.getThing(`${namespace}:nothing-here`));
  check('a missing thing is a Ditto 404 over the socket', missing && missing.status === 404, missing);

  const deleted = await things.deleteThing(thingId);
  check('deleteThing over the socket (204)', deleted.status === 204, deleted.status);
  await next((event) => event.topic.endsWith('/events/deleted'), 'the deleted event');
  check('the deleted event arrives', true);
  client.close();
}

async function messages() {
  const thingId = `${namespace}:messaging`;
  await httpClient().getThingsHandle().putThing(new ditto.Thing(thingId));

  // The device: a live-channel client that receives messages and answers them.
  const device = socketClient('live');
  const inbox = device.getMessagesHandle();
  await inbox.requestMessages();
  const asked = [];
  inbox.subscribeToThing(thingId, (message) => {
    asked.push(message);
    // The client has no call for answering a message, so the answer (a Ditto Protocol message response:
    // same topic and path, a status, the correlation-id) goes out through the client's own connection.
    device.responseHandler.resilienceHandler.send(JSON.stringify({
      topic: message.topic, path: message.path, status: 200,
      value: `pong: ${typeof message.value === 'string' ? message.value : JSON.stringify(message.value)}`,
      headers: { 'correlation-id': message.headers['correlation-id'], 'content-type': 'text/plain' },
    }));
  });

  // (The HTTP client JSON-encodes every payload, whatever its content type: send JSON.)
  const overHttp = await httpClient().getMessagesHandle().messageToThing(thingId, 'ping', { from: 'http' },
    'application/json');
  check('a message over HTTP is answered by the device', overHttp.status === 200
    && overHttp.body === 'pong: {"from":"http"}', { status: overHttp.status, body: overHttp.body });

  const app = socketClient('live');
  const overSocket = await app.getMessagesHandle().messageToThing(thingId, 'ping', 'from socket', 'text/plain');
  check('a message over the socket is answered by the device', overSocket.status === 200
    && overSocket.body === 'pong: from socket', { status: overSocket.status, body: overSocket.body });
  check('the device saw both messages', asked.length === 2 && asked.every((m) => m.path === '/inbox/messages/ping')
    && same(asked[0].value, { from: 'http' }) && asked[1].value === 'from socket', asked.map((m) => m.value));
  device.close();
  app.close();
}

const scenarios = { http, websocket, messages };

(async () => {
  const run = scenarios[scenario];
  if (run === undefined) {
    check(`scenario ${scenario} exists`, false, Object.keys(scenarios));
  } else {
    try {
      await run();
    } catch (error) {
      check(`${scenario} ran to the end`, false, error && (error.stack || error));
    }
  }
  process.exit(failures === 0 ? 0 : 1);
})();
