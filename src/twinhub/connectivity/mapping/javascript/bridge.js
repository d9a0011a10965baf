// twinhub: how Python calls a mapping script. Messages cross as JSON text, bytes as strings of 8-bit
// characters; what a script returns is checked here (shape) and in Python (Ditto Protocol).
const __twinhub = Object.freeze((function () {
  "use strict";
  var maxText = __TWINHUB_MAX_TEXT__;

  function toArrayBuffer(latin1) {
    var buffer = new ArrayBuffer(latin1.length);
    var view = new Uint8Array(buffer);
    for (var index = 0; index < latin1.length; index++) {
      view[index] = latin1.charCodeAt(index);
    }
    return buffer;
  }

  function bytesOf(payload) {
    if (payload === null || payload === undefined) {
      return null;
    }
    var view;
    if (payload instanceof ArrayBuffer) {
      view = new Uint8Array(payload);
    } else if (ArrayBuffer.isView(payload)) {
      view = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
    } else if (Array.isArray(payload)) {
      view = Uint8Array.from(payload);
    } else if (typeof payload.toArrayBuffer === "function") {
      view = new Uint8Array(payload.toArrayBuffer());
    } else {
      throw new TypeError("bytePayload is no ArrayBuffer, typed array, DataView, ByteBuffer or array of bytes");
    }
    if (view.length > maxText) {
      throw new RangeError("bytePayload is larger than " + maxText + " bytes");
    }
    return Ditto.arrayBufferToString(view);
  }

  function bounded(text) {
    if (typeof text !== "string") {
      throw new TypeError("the script returned a value that is no JSON");
    }
    if (text.length > maxText) {
      throw new RangeError("the script returned more than " + maxText + " characters");
    }
    return text;
  }

  function asList(result) {
    if (result === null || result === undefined) {
      return [];
    }
    return Array.isArray(result) ? result : [result];
  }

  function inbound(messageJson, latin1Bytes) {
    var message = JSON.parse(messageJson);
    message.bytePayload = latin1Bytes === null ? null : toArrayBuffer(latin1Bytes);
    var results = asList(mapToDittoProtocolMsgWrapper(message));
    return bounded(JSON.stringify(results.map(function (result) { return result === undefined ? null : result; })));
  }

  function outbound(envelopeJson) {
    var results = asList(mapFromDittoProtocolMsgWrapper(JSON.parse(envelopeJson)));
    return bounded(JSON.stringify(results.map(function (result) {
      if (result === null || typeof result !== "object") {
        throw new TypeError("the outgoing script returned something that is no external message");
      }
      var text = result.textPayload;
      return {
        headers: result.headers === undefined ? null : result.headers,
        textPayload: text === null || text === undefined ? null : String(text),
        bytes: bytesOf(result.bytePayload),
        contentType: result.contentType === null || result.contentType === undefined ? null : String(result.contentType)
      };
    })));
  }

  return { inbound: inbound, outbound: outbound };
})());
