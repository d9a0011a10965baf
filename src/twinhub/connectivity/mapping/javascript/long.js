// twinhub: dcodeIO.Long, the part of long.js's API mapping scripts use: 64-bit integers (signed or
// unsigned) built from bits, numbers or strings, with arithmetic and conversions. Written on BigInt.
var dcodeIO = typeof dcodeIO === "undefined" ? {} : dcodeIO;
dcodeIO.Long = (function () {
  "use strict";
  var TWO_64 = BigInt(1) << BigInt(64);

  function Long(low, high, unsigned) {
    this.low = low | 0;
    this.high = high | 0;
    this.unsigned = !!unsigned;
  }

  function toBig(long) {
    var value = (BigInt(long.high >>> 0) << BigInt(32)) | BigInt(long.low >>> 0);
    return !long.unsigned && long.high < 0 ? value - TWO_64 : value;
  }

  function fromBig(value, unsigned) {
    var bits = BigInt.asUintN(64, value);
    return new Long(Number(bits & BigInt(0xffffffff)), Number(bits >> BigInt(32)), unsigned);
  }

  function other(value, unsigned) {
    if (value instanceof Long) { return toBig(value); }
    if (typeof value === "number") { return BigInt(Math.trunc(value)); }
    return BigInt(String(value));
  }

  Long.fromBits = function (low, high, unsigned) { return new Long(low, high, unsigned); };
  Long.fromInt = function (value, unsigned) { return fromBig(BigInt(value | 0), unsigned); };
  Long.fromNumber = function (value, unsigned) {
    return fromBig(isFinite(value) ? BigInt(Math.trunc(value)) : BigInt(0), unsigned);
  };
  Long.fromString = function (text, unsigned, radix) {
    if (typeof unsigned === "number") { radix = unsigned; unsigned = false; }
    radix = radix || 10;
    var negative = text.charAt(0) === "-";
    var digits = negative ? text.substring(1) : text;
    var value = BigInt(0);
    for (var index = 0; index < digits.length; index++) {
      var digit = parseInt(digits.charAt(index), radix);
      if (isNaN(digit)) { throw new Error("invalid digit in " + text); }
      value = value * BigInt(radix) + BigInt(digit);
    }
    return fromBig(negative ? -value : value, unsigned);
  };
  Long.fromValue = function (value, unsigned) {
    if (value instanceof Long) { return value; }
    if (typeof value === "number") { return Long.fromNumber(value, unsigned); }
    if (typeof value === "string") { return Long.fromString(value, unsigned); }
    return new Long(value.low, value.high, value.unsigned);
  };
  Long.isLong = function (value) { return value instanceof Long; };
  Long.ZERO = new Long(0, 0, false);
  Long.ONE = new Long(1, 0, false);
  Long.UZERO = new Long(0, 0, true);

  Long.prototype.toBigInt = function () { return toBig(this); };
  Long.prototype.toNumber = function () { return Number(toBig(this)); };
  Long.prototype.toInt = function () { return this.low; };
  Long.prototype.toString = function (radix) { return toBig(this).toString(radix || 10); };
  Long.prototype.getHighBits = function () { return this.high; };
  Long.prototype.getLowBits = function () { return this.low; };
  Long.prototype.getHighBitsUnsigned = function () { return this.high >>> 0; };
  Long.prototype.getLowBitsUnsigned = function () { return this.low >>> 0; };
  Long.prototype.isZero = function () { return this.low === 0 && this.high === 0; };
  Long.prototype.isNegative = function () { return !this.unsigned && this.high < 0; };
  Long.prototype.toSigned = function () { return new Long(this.low, this.high, false); };
  Long.prototype.toUnsigned = function () { return new Long(this.low, this.high, true); };
  Long.prototype.equals = function (value) { return toBig(this) === other(value); };
  Long.prototype.compare = function (value) {
    var a = toBig(this), b = other(value);
    return a === b ? 0 : a < b ? -1 : 1;
  };
  Long.prototype.add = function (value) { return fromBig(toBig(this) + other(value), this.unsigned); };
  Long.prototype.subtract = function (value) { return fromBig(toBig(this) - other(value), this.unsigned); };
  Long.prototype.multiply = function (value) { return fromBig(toBig(this) * other(value), this.unsigned); };
  Long.prototype.divide = function (value) { return fromBig(toBig(this) / other(value), this.unsigned); };
  Long.prototype.modulo = function (value) { return fromBig(toBig(this) % other(value), this.unsigned); };
  Long.prototype.negate = function () { return fromBig(-toBig(this), this.unsigned); };
  Long.prototype.and = function (value) { return fromBig(toBig(this) & other(value), this.unsigned); };
  Long.prototype.or = function (value) { return fromBig(toBig(this) | other(value), this.unsigned); };
  Long.prototype.xor = function (value) { return fromBig(toBig(this) ^ other(value), this.unsigned); };
  Long.prototype.shiftLeft = function (bits) { return fromBig(toBig(this) << BigInt(bits & 63), this.unsigned); };
  Long.prototype.shiftRight = function (bits) { return fromBig(toBig(this) >> BigInt(bits & 63), this.unsigned); };
  Long.prototype.toJSON = function () { return this.toString(); };
  return Long;
})();
