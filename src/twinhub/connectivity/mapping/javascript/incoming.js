// twinhub: the incoming mapping a script starts from (Ditto's template). A script that declares
// mapToDittoProtocolMsg (or mapToDittoProtocolMsgWrapper) replaces these declarations.

// Ditto Protocol JSON as text or as bytes is taken as it is; anything else is dropped (null).
function mapToDittoProtocolMsg(headers, textPayload, bytePayload, contentType) {
  if (contentType === "application/vnd.eclipse.ditto+json") {
    return JSON.parse(textPayload);
  }
  if (contentType === "application/octet-stream") {
    try {
      return JSON.parse(Ditto.arrayBufferToString(bytePayload));
    } catch (error) {
      return null;
    }
  }
  return null;
}

// Called with the whole external message {headers, textPayload, bytePayload, contentType}.
function mapToDittoProtocolMsgWrapper(externalMsg) {
  return mapToDittoProtocolMsg(externalMsg.headers, externalMsg.textPayload, externalMsg.bytePayload,
                               externalMsg.contentType);
}
