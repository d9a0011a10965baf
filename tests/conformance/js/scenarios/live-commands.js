'use strict';

const {
  ditto, namespace, check, expectEqual, same, httpClient, socketClient, within, Inbox,
} = require('../support');

// Live commands sent by a live-channel client and answered by another.

async function liveCommands() {
  const thingId = `${namespace}:live-lamp`;
  await httpClient().getThingsHandle().putThing(new ditto.Thing(thingId, undefined, { on: false }));

  // The device answers retrieves with what it knows, and acknowledges every change.
  const device = socketClient('live');
  const commands = device.getCommandsHandle();
  await within(commands.requestCommands(), 'START-SEND-LIVE-COMMANDS:ACK');
  check('requestCommands is acknowledged', true);
  const received = new Inbox();
  commands.subscribeToThing(thingId, (command) => {
    received.push(command);
    if (command.action !== 'retrieve') {
      commands.respond(command, 204);
    } else if (command.path === '/') {
      commands.respond(command, 200, { thingId, attributes: { on: 'live' } });
    } else {
      commands.respond(command, 200, `live value of ${command.path}`);
    }
  });

  const app = socketClient('live');
  const read = await within(app.getThingsHandle().getThing(thingId), 'a live retrieve');
  check('a live retrieve over the socket is answered by the device', read.thingId === thingId
    && same(read.attributes, { on: 'live' }), read);
  const retrieve = await received.next((c) => c.action === 'retrieve', 'the live retrieve at the device');
  check('the device received the retrieve command', retrieve.topic === `${namespace}/live-lamp/things/live/commands/retrieve`
    && retrieve.path === '/', retrieve);

  const modified = await within(app.getThingsHandle().putAttribute(thingId, 'on', true), 'a live modify');
  check('a live modify is answered 204 by the device', modified.status === 204, modified);
  const modify = await received.next((c) => c.action === 'modify', 'the live modify at the device');
  check('the device received the modify command', modify.path === '/attributes/on' && modify.value === true, modify);
  expectEqual('the twin is untouched by live commands', await httpClient().getThingsHandle().getAttributes(thingId),
    { on: false });

  const overHttp = await within(httpClient().getThingsHandle().getAttribute(thingId, 'on',
    ditto.DefaultFieldsOptions.getInstance().addRequestParameter('channel', 'live').addRequestParameter('timeout', '5')),
  'an HTTP GET ?channel=live');
  expectEqual('an HTTP GET ?channel=live is answered by the device', overHttp, 'live value of /attributes/on');
  const httpRetrieve = await received.next((c) => c.action === 'retrieve' && c.path === '/attributes/on',
    'the live retrieve of an HTTP GET ?channel=live');
  check('the device received it as a live retrieve', httpRetrieve.topic.endsWith('/things/live/commands/retrieve'),
    httpRetrieve);

  // Live events: the app asks for them (START-SEND-LIVE-EVENTS on a live-channel client), the device emits one.
  const liveEvents = app.getEventsHandle();
  await within(liveEvents.requestEvents(), 'START-SEND-LIVE-EVENTS:ACK');
  check('requestEvents on a live-channel client is acknowledged', true);
  const heard = new Inbox();
  liveEvents.subscribeToAttribute(thingId, 'on', heard.push, 'modified');
  await within(commands.emitEvent(thingId, 'modified', '/attributes/on', 'switched on by hand'), 'emitting');
  const liveEvent = await heard.next(() => true, 'the live event at the app');
  check('the live event of the device reaches the app', liveEvent.topic === `${namespace}/live-lamp/things/live/events/modified`
    && liveEvent.path === '/attributes/on' && liveEvent.value === 'switched on by hand', liveEvent);

  await httpClient().getThingsHandle().deleteThing(thingId);
}

module.exports = liveCommands;
