/*
 * The conformance contract (see tests/conformance/README.md), written with the official
 * fabric-contract-api so that the dev peer is checked against the chaincode shim as Fabric ships it.
 * The Python chaincode in ../../chaincode_py behaves identically; every result is a UTF-8 string.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
'use strict';

const crypto = require('crypto');
const { Contract } = require('fabric-contract-api');

const utf8 = (bytes) => Buffer.from(bytes).toString('utf8');

// Drains a shim iterator; the shim fetches further pages (has_more) on its own.
async function drain(iterator, project) {
    const rows = [];
    try {
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
            rows.push(project(next.value));
        }
    } finally {
        await iterator.close();
    }
    return rows;
}

class ConformanceContract extends Contract {
    constructor() {
        super('conformance');
    }

    async Put(ctx, key, value) {
        await ctx.stub.putState(key, Buffer.from(value, 'utf8'));
        return '';
    }

    async Get(ctx, key) {
        const value = await ctx.stub.getState(key);
        if (!value || value.length === 0) {
            throw new Error(`key not found: ${key}`);
        }
        return utf8(value);
    }

    async Increment(ctx, key) {
        const current = await ctx.stub.getState(key);
        const count = current && current.length > 0 ? parseInt(utf8(current), 10) : 0;
        const next = String(count + 1);
        await ctx.stub.putState(key, Buffer.from(next, 'utf8'));
        return next;
    }

    async PutPrivate(ctx, collection, key) {
        const value = ctx.stub.getTransient().get('value');
        if (value === undefined) {
            throw new Error("transient field 'value' missing");
        }
        await ctx.stub.putPrivateData(collection, key, Buffer.from(value));
        return '';
    }

    async GetPrivate(ctx, collection, key) {
        const value = await ctx.stub.getPrivateData(collection, key);
        if (!value || value.length === 0) {
            throw new Error(`private key not found: ${key}`);
        }
        return utf8(value);
    }

    async GetPrivateHash(ctx, collection, key) {
        const hash = await ctx.stub.getPrivateDataHash(collection, key);
        if (!hash || hash.length === 0) {
            throw new Error(`no private data hash for ${key}`);
        }
        return Buffer.from(hash).toString('hex');
    }

    async Range(ctx, startKey, endKey) {
        const iterator = await ctx.stub.getStateByRange(startKey, endKey);
        const rows = await drain(iterator, (kv) => ({ key: kv.key, value: utf8(kv.value) }));
        return JSON.stringify(rows);
    }

    async History(ctx, key) {
        const iterator = await ctx.stub.getHistoryForKey(key);
        const rows = await drain(iterator, (mod) => ({
            txId: mod.txId,
            value: utf8(mod.value || []),
            isDelete: Boolean(mod.isDelete),
        }));
        return JSON.stringify(rows);
    }

    async Delete(ctx, key) {
        await ctx.stub.deleteState(key);
        return '';
    }

    async Emit(ctx, name, payload) {
        ctx.stub.setEvent(name, Buffer.from(payload, 'utf8'));
        return '';
    }

    async Fail(ctx, message) {
        throw new Error(message);
    }

    async Whoami(ctx) {
        return ctx.clientIdentity.getMSPID();
    }

    // Non-deterministic on purpose: two endorsers disagree, and the gateway must refuse to submit.
    async Random(ctx) {
        const value = crypto.randomBytes(16).toString('hex');
        await ctx.stub.putState('random', Buffer.from(value));
        return value;
    }
}

module.exports.contracts = [ConformanceContract];
