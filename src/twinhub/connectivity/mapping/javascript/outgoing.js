// twinhub: the outgoing mapping a script starts from (Ditto's template). A script that declares
// mapFromDittoProtocolMsg (or mapFromDittoProtocolMsgWrapper) replaces these declarations.

// The Ditto Protocol message as JSON text with Ditto's content type and the signal's headers.
function mapFromDittoProtocolMsg(namespace, name, group, channel, criterion, action, path, dittoHeaders, value,
                                 status, extra) {
  var message = Ditto.buildDittoProtocolMsg(namespace, name, group, channel, criterion, action, path, dittoHeaders,
                                            value, status, extra);
  return Ditto.buildExternalMsg(dittoHeaders, JSON.stringify(message), null, "application/vnd.eclipse.ditto+json");
}

// Only things topics have a channel segment.
function hasChannel(group) {
  return group === "things";
}

// Called with the whole Ditto Protocol message; splits its topic into the arguments above.
function mapFromDittoProtocolMsgWrapper(dittoProtocolMsg) {
  var parts = dittoProtocolMsg.topic.split("/");
  var channel = hasChannel(parts[2]) ? parts[3] : "none";
  var rest = hasChannel(parts[2]) ? parts.slice(4) : parts.slice(3);
  var action = rest.length > 1 ? rest.slice(1).join("/") : undefined;
  return mapFromDittoProtocolMsg(parts[0], parts[1], parts[2], channel, rest[0], action, dittoProtocolMsg.path,
                                 dittoProtocolMsg.headers, dittoProtocolMsg.value, dittoProtocolMsg.status,
                                 dittoProtocolMsg.extra);
}
