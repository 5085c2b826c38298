// Preloaded into every Node.js process of the deploy test (NODE_OPTIONS=--require): a connection or
// a name lookup for anything but this machine fails at once, before a packet leaves, and written to the
// file named by S_OFFLINE_LOG, which the test requires to stay empty. Serverless Devs checks for
// updates and reports usage from background processes; the test turns those off with NODE_ENV=test,
// and this proves it.
'use strict';

const dns = require('dns');
const fs = require('fs');
const net = require('net');

function local(host) {
  return host === undefined || host === null || host === '' || host === 'localhost' ||
    String(host).startsWith('127.') || host === '::1' || host === '[::1]';
}

function refuse(what) {
  const msg = `offline test: refused ${what}`;
  try {
    fs.appendFileSync(process.env.S_OFFLINE_LOG, msg + '\n');
  } catch (err) {
    // The error below still stops the request.
  }
  return new Error(msg);
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  // net.connect and http pass one array [options, callback]; a direct call passes the arguments.
  const a = Array.isArray(args[0]) ? args[0] : args;
  const first = a[0];
  let host;
  let port;
  if (first !== null && typeof first === 'object') {
    if (first.path) return connect.apply(this, args); // a Unix socket
    ({ host, port } = first);
  } else if (typeof first === 'string' && Number.isNaN(Number(first))) {
    return connect.apply(this, args); // a Unix socket path
  } else {
    port = first;
    host = typeof a[1] === 'string' ? a[1] : undefined;
  }
  if (!local(host)) {
    // Fails the way an unreachable host does: an 'error' event, never a packet.
    const err = refuse(`a connection to ${host}:${port}`);
    process.nextTick(() => this.destroy(err));
    return this;
  }
  return connect.apply(this, args);
};

const lookup = dns.lookup;
dns.lookup = function guardedLookup(host, ...rest) {
  const callback = rest[rest.length - 1];
  if (!local(host) && typeof callback === 'function') {
    const err = Object.assign(refuse(`a name lookup of ${host}`), { code: 'ENOTFOUND' });
    process.nextTick(() => callback(err));
    return {};
  }
  return lookup.call(this, host, ...rest);
};
const lookupPromise = dns.promises.lookup;
dns.promises.lookup = async function guardedLookupPromise(host, ...rest) {
  if (!local(host)) {
    throw refuse(`a name lookup of ${host}`);
  }
  return lookupPromise.call(this, host, ...rest);
};
