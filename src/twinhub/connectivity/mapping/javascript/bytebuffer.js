// twinhub: dcodeIO.ByteBuffer, the part of bytebuffer.js's API mapping scripts use: wrap or allocate bytes,
// read and write integers, floats and UTF-8 at a moving offset (or at a given one), big-endian unless
// told otherwise, and convert to and from hex, base64, UTF-8 and ArrayBuffer.
var dcodeIO = typeof dcodeIO === "undefined" ? {} : dcodeIO;
dcodeIO.ByteBuffer = (function () {
  "use strict";
  var BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

  function ByteBuffer(capacity, littleEndian) {
    this.buffer = new ArrayBuffer(capacity || 0);
    this.view = new DataView(this.buffer);
    this.offset = 0;
    this.markedOffset = -1;
    this.limit = capacity || 0;
    this.littleEndian = !!littleEndian;
  }
  ByteBuffer.BIG_ENDIAN = false;
  ByteBuffer.LITTLE_ENDIAN = true;
  ByteBuffer.DEFAULT_CAPACITY = 16;

  function utf8Bytes(text) {
    return Array.from(unescape(encodeURIComponent(text)), function (c) { return c.charCodeAt(0); });
  }

  function fromBytes(bytes, littleEndian) {
    var result = new ByteBuffer(bytes.length, littleEndian);
    new Uint8Array(result.buffer).set(bytes);
    return result;
  }

  ByteBuffer.allocate = function (capacity, littleEndian) {
    return new ByteBuffer(capacity === undefined ? ByteBuffer.DEFAULT_CAPACITY : capacity, littleEndian);
  };
  ByteBuffer.wrap = function (data, encoding, littleEndian) {
    if (typeof encoding === "boolean") { littleEndian = encoding; encoding = undefined; }
    if (typeof data === "string") {
      if (encoding === "base64") { return ByteBuffer.fromBase64(data, littleEndian); }
      if (encoding === "hex") { return ByteBuffer.fromHex(data, littleEndian); }
      if (encoding === "binary") { return fromBytes(Array.from(data, function (c) { return c.charCodeAt(0) & 255; }), littleEndian); }
      return ByteBuffer.fromUTF8(data, littleEndian);
    }
    if (data instanceof ByteBuffer) { return data.clone(); }
    if (data instanceof ArrayBuffer) { return fromBytes(new Uint8Array(data), littleEndian); }
    if (ArrayBuffer.isView(data)) {
      return fromBytes(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), littleEndian);
    }
    if (Array.isArray(data)) { return fromBytes(data, littleEndian); }
    throw new TypeError("Illegal buffer");
  };
  ByteBuffer.fromUTF8 = function (text, littleEndian) { return fromBytes(utf8Bytes(text), littleEndian); };
  ByteBuffer.fromHex = function (text, littleEndian) {
    if (text.length % 2 !== 0 || /[^0-9a-fA-F]/.test(text)) { throw new TypeError("Illegal hex string"); }
    var bytes = [];
    for (var index = 0; index < text.length; index += 2) { bytes.push(parseInt(text.substr(index, 2), 16)); }
    return fromBytes(bytes, littleEndian);
  };
  ByteBuffer.fromBase64 = function (text, littleEndian) {
    var clean = text.replace(/[\s=]/g, "");
    var bytes = [], bits = 0, value = 0;
    for (var index = 0; index < clean.length; index++) {
      var digit = BASE64.indexOf(clean.charAt(index));
      if (digit < 0) { throw new TypeError("Illegal base64 string"); }
      value = (value << 6) | digit;
      bits += 6;
      if (bits >= 8) { bits -= 8; bytes.push((value >> bits) & 255); }
    }
    return fromBytes(bytes, littleEndian);
  };
  ByteBuffer.isByteBuffer = function (value) { return value instanceof ByteBuffer; };

  var proto = ByteBuffer.prototype;
  proto.order = function (littleEndian) { this.littleEndian = !!littleEndian; return this; };
  proto.LE = function (littleEndian) { this.littleEndian = littleEndian === undefined ? true : !!littleEndian; return this; };
  proto.BE = function (bigEndian) { this.littleEndian = bigEndian === undefined ? false : !bigEndian; return this; };
  proto.remaining = function () { return this.limit - this.offset; };
  proto.capacity = function () { return this.buffer.byteLength; };
  proto.flip = function () { this.limit = this.offset; this.offset = 0; return this; };
  proto.reset = function () {
    if (this.markedOffset >= 0) { this.offset = this.markedOffset; this.markedOffset = -1; } else { this.offset = 0; }
    return this;
  };
  proto.mark = function (offset) { this.markedOffset = offset === undefined ? this.offset : offset; return this; };
  proto.skip = function (length) { this.offset += length; return this; };
  proto.clear = function () { this.offset = 0; this.limit = this.buffer.byteLength; this.markedOffset = -1; return this; };
  proto.clone = function () {
    var copy = fromBytes(new Uint8Array(this.buffer), this.littleEndian);
    copy.offset = this.offset; copy.limit = this.limit; copy.markedOffset = this.markedOffset;
    return copy;
  };
  proto.toArrayBuffer = function () { return this.buffer.slice(this.offset, this.limit); };
  proto.toBuffer = proto.toArrayBuffer;
  proto.toHex = function (begin, end) {
    var bytes = new Uint8Array(this.buffer, begin === undefined ? this.offset : begin,
                               (end === undefined ? this.limit : end) - (begin === undefined ? this.offset : begin));
    var text = "";
    for (var index = 0; index < bytes.length; index++) { text += (bytes[index] < 16 ? "0" : "") + bytes[index].toString(16); }
    return text;
  };
  proto.toBase64 = function (begin, end) {
    var bytes = new Uint8Array(this.buffer, begin === undefined ? this.offset : begin,
                               (end === undefined ? this.limit : end) - (begin === undefined ? this.offset : begin));
    var text = "";
    for (var index = 0; index < bytes.length; index += 3) {
      var chunk = (bytes[index] << 16) | ((bytes[index + 1] || 0) << 8) | (bytes[index + 2] || 0);
      text += BASE64.charAt(chunk >> 18) + BASE64.charAt((chunk >> 12) & 63) +
        (index + 1 < bytes.length ? BASE64.charAt((chunk >> 6) & 63) : "=") +
        (index + 2 < bytes.length ? BASE64.charAt(chunk & 63) : "=");
    }
    return text;
  };
  proto.toUTF8 = function (begin, end) {
    var bytes = new Uint8Array(this.buffer, begin === undefined ? this.offset : begin,
                               (end === undefined ? this.limit : end) - (begin === undefined ? this.offset : begin));
    return decodeURIComponent(escape(Ditto.arrayBufferToString(bytes)));
  };
  proto.toBinary = function (begin, end) {
    return Ditto.arrayBufferToString(new Uint8Array(this.buffer, begin === undefined ? this.offset : begin,
      (end === undefined ? this.limit : end) - (begin === undefined ? this.offset : begin)));
  };
  proto.toString = function (encoding, begin, end) {
    if (encoding === "hex") { return this.toHex(begin, end); }
    if (encoding === "base64") { return this.toBase64(begin, end); }
    if (encoding === "utf8") { return this.toUTF8(begin, end); }
    if (encoding === "binary") { return this.toBinary(begin, end); }
    return "ByteBuffer(offset=" + this.offset + ",markedOffset=" + this.markedOffset + ",limit=" + this.limit +
      ",capacity=" + this.capacity() + ")";
  };

  // Readers and writers: `read<Type>(offset)` reads at `offset` if given, else at this.offset and advances it.
  function accessor(size, getter, setter) {
    return {
      read: function (offset) {
        var at = offset === undefined ? this.offset : offset;
        if (at < 0 || at + size > this.limit) { throw new RangeError("Illegal offset: 0 <= " + at + " (+" + size + ") <= " + this.limit); }
        var value = getter.call(this.view, at, this.littleEndian);
        if (offset === undefined) { this.offset += size; }
        return value;
      },
      write: function (value, offset) {
        var at = offset === undefined ? this.offset : offset;
        ensure(this, at + size);
        setter.call(this.view, at, value, this.littleEndian);
        if (offset === undefined) { this.offset += size; }
        return this;
      }
    };
  }
  function ensure(buffer, capacity) {
    if (capacity > buffer.buffer.byteLength) {
      var grown = new ArrayBuffer(Math.max(capacity, buffer.buffer.byteLength * 2));
      new Uint8Array(grown).set(new Uint8Array(buffer.buffer));
      buffer.buffer = grown;
      buffer.view = new DataView(grown);
    }
    if (capacity > buffer.limit) { buffer.limit = capacity; }
  }
  var types = {
    Int8: accessor(1, DataView.prototype.getInt8, DataView.prototype.setInt8),
    Uint8: accessor(1, DataView.prototype.getUint8, DataView.prototype.setUint8),
    Int16: accessor(2, DataView.prototype.getInt16, DataView.prototype.setInt16),
    Uint16: accessor(2, DataView.prototype.getUint16, DataView.prototype.setUint16),
    Int32: accessor(4, DataView.prototype.getInt32, DataView.prototype.setInt32),
    Uint32: accessor(4, DataView.prototype.getUint32, DataView.prototype.setUint32),
    Float32: accessor(4, DataView.prototype.getFloat32, DataView.prototype.setFloat32),
    Float64: accessor(8, DataView.prototype.getFloat64, DataView.prototype.setFloat64)
  };
  Object.keys(types).forEach(function (name) {
    proto["read" + name] = types[name].read;
    proto["write" + name] = types[name].write;
  });
  var aliases = { Byte: "Int8", Short: "Int16", Int: "Int32", Float: "Float32", Double: "Float64",
                  Ubyte: "Uint8", Ushort: "Uint16", Uint: "Uint32" };
  Object.keys(aliases).forEach(function (alias) {
    proto["read" + alias] = types[aliases[alias]].read;
    proto["write" + alias] = types[aliases[alias]].write;
  });
  function readLong(unsigned) {
    return function (offset) {
      var high, low;
      var at = offset === undefined ? this.offset : offset;
      if (this.littleEndian) { low = this.readUint32(at); high = this.readUint32(at + 4); }
      else { high = this.readUint32(at); low = this.readUint32(at + 4); }
      if (offset === undefined) { this.offset += 8; }
      return dcodeIO.Long ? dcodeIO.Long.fromBits(low, high, unsigned) :
        Number((BigInt(high) << BigInt(32)) | BigInt(low >>> 0));
    };
  }
  proto.readInt64 = proto.readLong = readLong(false);
  proto.readUint64 = readLong(true);
  proto.readUTF8String = function (length, offset) {
    var at = offset === undefined ? this.offset : offset;
    var bytes = new Uint8Array(this.buffer, 0, this.limit);
    var start = at, chars = 0;
    while (chars < length && at < this.limit) {
      var lead = bytes[at];
      at += lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
      chars += lead >= 0xf0 ? 2 : 1;
    }
    var text = decodeURIComponent(escape(Ditto.arrayBufferToString(bytes.subarray(start, at))));
    if (offset === undefined) { this.offset = at; }
    return text;
  };
  proto.readString = proto.readUTF8String;
  proto.writeUTF8String = function (text, offset) {
    var bytes = utf8Bytes(text);
    var at = offset === undefined ? this.offset : offset;
    ensure(this, at + bytes.length);
    new Uint8Array(this.buffer).set(bytes, at);
    if (offset === undefined) { this.offset += bytes.length; }
    return this;
  };
  proto.writeString = proto.writeUTF8String;
  return ByteBuffer;
})();
