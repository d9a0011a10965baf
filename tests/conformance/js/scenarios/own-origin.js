'use strict';

const {
  ditto, namespace, check, expectEqual, httpClient, socketClient, within, errorOf, Inbox, eventNamed,
} = require('../support');

// A session never receives its own signals.
// Ditto: "Events caused by commands from a connection or a WebSocket session are not published to the same
// origin" (basic-signals.html); the gateway drops every signal whose `origin` is the session itself (events,
// messages, live commands). The client relies on it: a signal that comes back carries the correlation-id of
// the pending request, so the client takes it for the answer.

async function ownOrigin() {
  const thingId = `${namespace}:own-origin`;
  const http = httpClient().getThingsHandle();

  const writer = socketClient('twin');
  const events = writer.getEventsHandle();
  await within(events.requestEvents(), 'START-SEND-EVENTS:ACK');
  const seen = new Inbox();
  events.subscribeToThing(thingId, seen.push);
  const created = await within(writer.getThingsHandle().putThing(new ditto.Thing(thingId, undefined, { on: false })),
    'putThing by a session that receives events');
  check('a session receiving events creates a thing: 201', created.status === 201, created);
  const modified = await within(writer.getThingsHandle().putAttribute(thingId, 'on', true), 'putAttribute');
  check('and modifies it: 204', modified.status === 204, modified);
  await http.putAttribute(thingId, 'by', 'http');
  await seen.next(eventNamed('created', '/attributes/by'), 'the event of the HTTP write');
  // Events of one thing arrive in order: by now every event of the session's own writes would have come.
  expectEqual('the session gets the event of the HTTP write, none of its own writes',
    seen.seen.map((e) => `${e.action} ${e.path}`), ['created /attributes/by']);

  const device = socketClient('live');
  const inbox = device.getMessagesHandle();
  await within(inbox.requestMessages(), 'START-SEND-MESSAGES:ACK of the device');
  inbox.subscribeToThing(thingId, (message) => inbox.respond(message, 200, `pong: ${message.value}`, 'text/plain'),
    'ask', 'inbox');
  const commands = device.getCommandsHandle();
  await within(commands.requestCommands(), 'START-SEND-LIVE-COMMANDS:ACK of the device');
  commands.subscribeToThing(thingId, (command) => commands.respond(command, 200, `live ${command.path}`));

  const app = socketClient('live');
  const appMessages = app.getMessagesHandle();
  await within(appMessages.requestMessages(), 'START-SEND-MESSAGES:ACK of the app');
  appMessages.subscribeToAllMessages(() => {});
  const answer = await errorOf(appMessages.messageToThing(thingId, 'ask', 'hello', 'text/plain'),
    'a message from a session that receives messages');
  check('a session receiving messages sends one and gets the device\'s answer, not its own message back',
    answer.resolved && answer.resolved.status === 200 && answer.resolved.body === 'pong: hello', answer);

  const appCommands = app.getCommandsHandle();
  await within(appCommands.requestCommands(), 'START-SEND-LIVE-COMMANDS:ACK of the app');
  appCommands.subscribeToAllCommands(() => {});
  const read = await errorOf(app.getThingsHandle().getAttribute(thingId, 'on'),
    'a live retrieve from a session that receives live commands');
  expectEqual('a session receiving live commands sends one and gets the device\'s answer, not its own command back',
    read, { resolved: 'live /attributes/on' });
  await http.deleteThing(thingId);
}

module.exports = ownOrigin;
