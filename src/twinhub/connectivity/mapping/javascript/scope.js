// twinhub: the `Ditto` helpers a Ditto mapping script may call, with Ditto's names and signatures.
var Ditto = (function () {
  "use strict";

  // A Ditto Protocol topic; the channel "none" (policies, connections) leaves the segment out.
  function buildTopic(namespace, name, group, channel, criterion, action) {
    var segments = [namespace, name, group];
    if (channel !== "none") {
      segments.push(channel);
    }
    segments.push(criterion, action);
    return segments.join("/");
  }

  // A Ditto Protocol message; fields left undefined are left out of its JSON.
  function buildDittoProtocolMsg(namespace, name, group, channel, criterion, action, path, dittoHeaders,
                                 value, status, extra) {
    return {
      topic: buildTopic(namespace, name, group, channel, criterion, action),
      path: path,
      headers: dittoHeaders,
      value: value,
      status: status,
      extra: extra
    };
  }

  // An external message: headers, a text or a byte payload (ArrayBuffer), a content type.
  function buildExternalMsg(headers, textPayload, bytePayload, contentType) {
    return { headers: headers, textPayload: textPayload, bytePayload: bytePayload, contentType: contentType };
  }

  // Each byte (unsigned 8 bit) of the buffer becomes one character.
  function arrayBufferToString(arrayBuffer) {
    var bytes = new Uint8Array(arrayBuffer);
    var text = "";
    for (var start = 0; start < bytes.length; start += 8192) {
      text += String.fromCharCode.apply(null, bytes.subarray(start, start + 8192));
    }
    return text;
  }

  // Each character becomes one byte (its code, cut to 8 bits).
  function stringToArrayBuffer(string) {
    var buffer = new ArrayBuffer(string.length);
    var view = new Uint8Array(buffer);
    for (var index = 0; index < string.length; index++) {
      view[index] = string.charCodeAt(index);
    }
    return buffer;
  }

  // A ByteBuffer (bytebuffer.js, loaded with the option loadBytebufferJS) over a copy of the bytes.
  function asByteBuffer(arrayBuffer) {
    if (typeof dcodeIO === "undefined" || !dcodeIO.ByteBuffer) {
      throw new ReferenceError("ByteBuffer is not loaded: set the mapper option loadBytebufferJS to \"true\"");
    }
    return dcodeIO.ByteBuffer.wrap(new Uint8Array(arrayBuffer).slice());
  }

  return Object.freeze({
    buildTopic: buildTopic,
    buildDittoProtocolMsg: buildDittoProtocolMsg,
    buildExternalMsg: buildExternalMsg,
    arrayBufferToString: arrayBufferToString,
    stringToArrayBuffer: stringToArrayBuffer,
    asByteBuffer: asByteBuffer
  });
})();
