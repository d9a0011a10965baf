'use strict';

const {
  ditto, namespace, check, expectEqual, same, httpClient, socketClient, within, Inbox, eventNamed,
} = require('../support');

// The WebSocket twin client, its CRUD and its events.

async function websocket() {
  const client = socketClient('twin');
  const things = client.getThingsHandle();
  const thingId = `${namespace}:socket-lamp`;

  // Two sessions that only listen (one of them without a request buffer): the writer does not subscribe,
  // since a session never gets the events of its own writes (see own-origin).
  const listener = socketClient('twin', { buffered: false });
  await within(listener.connected, 'the connection of a client without a buffer');
  const events = listener.getEventsHandle();
  await within(events.requestEvents(), 'START-SEND-EVENTS:ACK');
  check('requestEvents is acknowledged', true);
  const all = new Inbox();
  events.subscribeToThing(thingId, all.push);
  const attributeModified = new Inbox();
  events.subscribeToAttribute(thingId, 'on', attributeModified.push, 'modified');
  const witness = socketClient('twin');
  const witnessed = new Inbox();
  const witnessEvents = witness.getEventsHandle(); // (each getEventsHandle() is a new handle)
  await within(witnessEvents.requestEvents(), 'START-SEND-EVENTS:ACK of the witness');
  witnessEvents.subscribeToAllEvents(witnessed.push);

  const created = await within(things.createThing(new ditto.Thing(thingId, undefined, { on: false },
    { lamp: new ditto.Feature('lamp', undefined, { level: 1 }) })), 'createThing');
  check('createThing over the socket is 201 with the thing', created.status === 201
    && created.body.thingId === thingId && same(created.body.attributes, { on: false }), created);
  const createdEvent = await all.next(eventNamed('created', '/'), 'the created event');
  check('the created event: topic, path, value', createdEvent.topic === `${namespace}/socket-lamp/things/twin/events/created`
    && createdEvent.value.thingId === thingId && same(createdEvent.value.attributes, { on: false })
    && same(createdEvent.value.features, { lamp: { properties: { level: 1 } } }), createdEvent);

  const modified = await within(things.putAttribute(thingId, 'on', true), 'putAttribute');
  check('putAttribute over the socket is 204', modified.status === 204, modified);
  const modifiedEvent = await attributeModified.next(() => true, 'the attribute modified event');
  check('subscribeToAttribute(..., "modified") gets the modified event', modifiedEvent.action === 'modified'
    && modifiedEvent.path === '/attributes/on' && modifiedEvent.value === true, modifiedEvent);
  await all.next(eventNamed('modified', '/attributes/on'), 'the modified event at the thing subscription');

  const replaced = await within(things.putThing(new ditto.Thing(thingId, undefined, { on: true, mode: 'eco' },
    { lamp: new ditto.Feature('lamp', undefined, { level: 2 }) })), 'putThing');
  check('putThing of an existing thing over the socket is 204', replaced.status === 204, replaced);
  const replacedEvent = await all.next(eventNamed('modified', '/'), 'the thing modified event');
  check('the thing modified event carries the thing', same(replacedEvent.value.attributes, { on: true, mode: 'eco' }),
    replacedEvent);

  const merged = await within(things.patchThing(new ditto.Thing(thingId, undefined, { mode: null, level: 3 })),
    'patchThing');
  check('patchThing over the socket is 204', merged.status === 204, merged);
  const mergedEvent = await all.next(eventNamed('merged', '/'), 'the merged event');
  check('the merged event carries the patch', same(mergedEvent.value.attributes, { mode: null, level: 3 }),
    mergedEvent);

  const mergedAttribute = await within(things.patchAttribute(thingId, 'on', false), 'patchAttribute');
  check('patchAttribute over the socket is 204', mergedAttribute.status === 204, mergedAttribute);
  const mergedAttributeEvent = await all.next(eventNamed('merged', '/attributes/on'), 'the attribute merged event');
  check('the attribute merged event', mergedAttributeEvent.value === false, mergedAttributeEvent);

  const features = client.getFeaturesHandle(thingId);
  const property = await within(features.putProperty('lamp', 'level', 5), 'putProperty');
  check('features over the socket: putProperty is 204', property.status === 204, property);
  const propertyEvent = await all.next(eventNamed('modified', '/features/lamp/properties/level'),
    'the property modified event');
  check('the property modified event', propertyEvent.value === 5, propertyEvent);
  expectEqual('features over the socket: getProperty', await within(features.getProperty('lamp', 'level'),
    'getProperty'), 5);

  const otherId = `${namespace}:socket-fan`;
  const putNew = await within(things.putThing(new ditto.Thing(otherId, undefined, { speed: 1 })), 'putThing new');
  check('putThing of a new thing over the socket is 201', putNew.status === 201, putNew);
  const deletedOther = await within(things.deleteThing(otherId), 'deleteThing of the new thing');
  check('and deleteThing of it 204', deletedOther.status === 204, deletedOther);

  const read = await within(things.getThing(thingId), 'getThing');
  check('getThing over the socket', read.thingId === thingId && same(read.attributes, { on: false, level: 3 })
    && same(read.features.lamp.properties, { level: 5 }) && read.policyId === thingId, read);
  expectEqual('getAttributes over the socket', await within(things.getAttributes(thingId), 'getAttributes'),
    { on: false, level: 3 });

  const http = httpClient().getThingsHandle();
  await http.putAttribute(thingId, 'brightness', 80);
  const fromHttp = await all.next(eventNamed('created', '/attributes/brightness'), 'the event of an HTTP write');
  check('an HTTP write reaches the socket as an event', fromHttp.value === 80
    && fromHttp.topic === `${namespace}/socket-lamp/things/twin/events/created`, fromHttp);
  await http.patchThing(new ditto.Thing(thingId, undefined, { brightness: 90 }));
  const mergedOverHttp = await all.next(eventNamed('merged', '/'), 'the merged event of an HTTP merge');
  check('an HTTP merge reaches the socket as a merged event', same(mergedOverHttp.value, {
    thingId, attributes: { brightness: 90 } }) || same(mergedOverHttp.value, { attributes: { brightness: 90 } }),
  mergedOverHttp);

  const deletedAttribute = await within(things.deleteAttribute(thingId, 'brightness'), 'deleteAttribute');
  check('deleteAttribute over the socket is 204', deletedAttribute.status === 204, deletedAttribute);
  const deletedAttributeEvent = await all.next(eventNamed('deleted', '/attributes/brightness'),
    'the attribute deleted event');
  check('the attribute deleted event', deletedAttributeEvent.value === undefined, deletedAttributeEvent);

  const deleted = await within(things.deleteThing(thingId), 'deleteThing');
  check('deleteThing over the socket is 204', deleted.status === 204, deleted);
  const deletedEvent = await all.next(eventNamed('deleted', '/'), 'the thing deleted event');
  check('the thing deleted event', deletedEvent.topic.endsWith('/things/twin/events/deleted'), deletedEvent);
  expectEqual('the attribute subscription saw only the modification of /attributes/on',
    attributeModified.seen.map((e) => `${e.action} ${e.path}`), ['modified /attributes/on']);

  await within(events.stopEvents(), 'STOP-SEND-EVENTS:ACK');
  // Re-created naming the policy its first life left behind, as Ditto requires (without it: thing.notcreatable).
  await http.putThing(new ditto.Thing(thingId, thingId, { generation: 2 }));
  await witnessed.next((e) => eventNamed('created', '/')(e) && same(e.value.attributes, { generation: 2 }),
    'the event of the HTTP re-create at the witness');
  // (Sessions get an event at the same time: once the witness has it, the stopped listener would have it too.)
  check('after stopEvents the listener gets no more events', await all.nothing(() => true, 200), all.items);
  expectEqual('subscribeToAllEvents saw every change of the thing, in order', witnessed.seen
    .filter((e) => e.topic.startsWith(`${namespace}/socket-lamp/`)).map((e) => `${e.action} ${e.path}`), [
    'created /', 'modified /attributes/on', 'modified /', 'merged /', 'merged /attributes/on',
    'modified /features/lamp/properties/level', 'created /attributes/brightness', 'merged /',
    'deleted /attributes/brightness', 'deleted /', 'created /']);
  await http.deleteThing(thingId);
}

module.exports = websocket;
