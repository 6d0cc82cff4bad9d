/*
 * The conformance scenarios, run with the official @hyperledger/fabric-gateway client. Each scenario
 * returns plain JSON facts (results, transaction ids, status codes, errors, events); the pytest side
 * asserts on them, and the Python client produces the same shapes (tests/conformance/python_client.py).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
'use strict';

const crypto = require('node:crypto');
const { checkpointers } = require('@hyperledger/fabric-gateway');
const { common, peer } = require('@hyperledger/fabric-protos');

const utf8 = new TextDecoder();
const text = (bytes) => utf8.decode(bytes);

function describeError(err) {
    return {
        type: err.constructor.name,
        code: err.code,
        message: err.message,
        details: (err.details || []).map((d) => ({ address: d.address, mspId: d.mspId, message: d.message })),
        transactionId: err.transactionId,
    };
}

// Runs `action` expecting it to fail; a success is reported as such, so the test names it.
async function failure(action) {
    try {
        const value = await action();
        return { unexpectedSuccess: value instanceof Uint8Array ? text(value) : value };
    } catch (err) {
        return describeError(err);
    }
}

function describeStatus(status) {
    return {
        code: status.code,
        successful: status.successful,
        blockNumber: Number(status.blockNumber),
        transactionId: status.transactionId,
    };
}

function describeEvent(event) {
    return {
        blockNumber: Number(event.blockNumber),
        transactionId: event.transactionId,
        chaincodeName: event.chaincodeName,
        eventName: event.eventName,
        payload: text(event.payload),
    };
}

// Reads `count` events whose name starts with `prefix`, then closes the stream.
async function collectEvents(events, prefix, count, timeoutMs = 15000) {
    const seen = [];
    const timer = setTimeout(() => events.close(), timeoutMs);
    try {
        for await (const event of events) {
            if (event.eventName.startsWith(prefix)) {
                seen.push(describeEvent(event));
                if (seen.length >= count) {
                    break;
                }
            }
        }
    } catch (err) {
        // close() on timeout ends the stream with CANCELLED; anything else is a finding.
        if (err.code !== 1) {
            seen.push({ error: describeError(err) });
        }
    } finally {
        clearTimeout(timer);
        events.close();
    }
    return seen;
}

// The first item of a block event stream, or {error} (a refusal, or a timeout as CANCELLED).
async function firstItem(events, timeoutMs = 10000) {
    const timer = setTimeout(() => events.close(), timeoutMs);
    try {
        const { value } = await events[Symbol.asyncIterator]().next();
        return { value };
    } catch (err) {
        return { error: { ...describeError(err), message: String(err.message) } };
    } finally {
        clearTimeout(timer);
        events.close();
    }
}

function blockTxIds(block) {
    return block.getData().getDataList_asU8().map((raw) => {
        const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(raw).getPayload_asU8());
        return common.ChannelHeader.deserializeBinary(payload.getHeader().getChannelHeader_asU8()).getTxId();
    });
}

async function submitAll(contract, name, argumentLists) {
    const submitted = await Promise.all(
        argumentLists.map((args) => contract.submitAsync(name, { arguments: args })),
    );
    return Promise.all(submitted.map((tx) => tx.getStatus()));
}

const scenarios = {
    async evaluate({ contract }) {
        return { whoami: text(await contract.evaluateTransaction('Whoami')) };
    },

    async submit({ contract, key }) {
        const k = key('submit');
        const proposal = contract.newProposal('Put', { arguments: [k, 'value-1'] });
        const transaction = await proposal.endorse();
        const commit = await transaction.submit();
        const status = await commit.getStatus();
        return {
            result: text(transaction.getResult()),
            transactionId: transaction.getTransactionId(),
            status: describeStatus(status),
            value: text(await contract.evaluateTransaction('Get', k)),
        };
    },

    async submit_async({ contract, key }) {
        const k = key('async');
        const submitted = await contract.submitAsync('Increment', { arguments: [k] });
        const status = await submitted.getStatus();
        return {
            result: text(submitted.getResult()),
            transactionId: submitted.getTransactionId(),
            status: describeStatus(status),
            value: text(await contract.evaluateTransaction('Get', k)),
        };
    },

    async evaluate_error({ contract, key }) {
        return {
            fail: await failure(() => contract.evaluateTransaction('Fail', 'evaluate went wrong')),
            missing: await failure(() => contract.evaluateTransaction('Get', key('never-written'))),
        };
    },

    async endorse_error({ contract }) {
        return { fail: await failure(() => contract.submitTransaction('Fail', 'endorse went wrong')) };
    },

    async mvcc({ contract, key, config }) {
        const k = key('mvcc');
        const n = config.mvccSubmits || 5;
        // Every endorsement happens before any submit, so all read the same version whatever the
        // machine's speed: exactly one may commit, the rest must fail MVCC.
        const endorsed = await Promise.all(
            Array.from({ length: n }, () => contract.newProposal('Increment', { arguments: [k] }).endorse()),
        );
        const submitted = await Promise.all(endorsed.map((tx) => tx.submit()));
        const statuses = await Promise.all(submitted.map((tx) => tx.getStatus()));
        return {
            codes: statuses.map((s) => s.code),
            final: text(await contract.evaluateTransaction('Get', k)),
        };
    },

    async private_data({ contract, key, config }) {
        const k = key('private');
        const value = `secret-${k}`;
        const submitted = await contract.submitAsync('PutPrivate', {
            arguments: [config.collection, k],
            transientData: { value },
            endorsingOrganizations: config.endorsingOrgs,
        });
        const status = await submitted.getStatus();
        return {
            transactionId: submitted.getTransactionId(),
            status: describeStatus(status),
            value: text(await contract.evaluateTransaction('GetPrivate', config.collection, k)),
            hash: text(await contract.evaluateTransaction('GetPrivateHash', config.collection, k)),
            expectedHash: crypto.createHash('sha256').update(value).digest('hex'),
            missingTransient: await failure(() =>
                contract.submit('PutPrivate', {
                    arguments: [config.collection, key('private-none')],
                    endorsingOrganizations: config.endorsingOrgs,
                }),
            ),
        };
    },

    async range({ contract, key, config }) {
        const base = key('range');
        const n = config.rangeKeys || 105;
        // Zero-padded so lexical order equals numeric order; more than one 100-key page.
        const keys = Array.from({ length: n }, (_, i) => `${base}-${String(i).padStart(4, '0')}`);
        const statuses = await submitAll(contract, 'Put', keys.map((k) => [k, `v${k.slice(-4)}`]));
        const all = JSON.parse(text(await contract.evaluateTransaction('Range', `${base}-`, `${base}.`)));
        const some = JSON.parse(text(await contract.evaluateTransaction('Range', keys[1], keys[3])));
        return { written: keys, codes: statuses.map((s) => s.code), all, some };
    },

    async history({ contract, key }) {
        const k = key('history');
        const ids = [];
        for (const [name, args] of [['Put', [k, 'first']], ['Put', [k, 'second']], ['Delete', [k]]]) {
            const submitted = await contract.submitAsync(name, { arguments: args });
            await submitted.getStatus();
            ids.push(submitted.getTransactionId());
        }
        return {
            transactionIds: ids,
            history: JSON.parse(text(await contract.evaluateTransaction('History', k))),
        };
    },

    // Block and filtered-block events (protos.Deliver) and qscc, from the block of a fresh commit.
    async blocks({ contract, network, key, config }) {
        const submitted = await contract.submitAsync('Emit', { arguments: [key('block'), 'payload'] });
        const status = await submitted.getStatus();
        const startBlock = status.blockNumber;
        const qscc = network.getContract('qscc');
        const info = common.BlockchainInfo.deserializeBinary(await qscc.evaluateTransaction('GetChainInfo', config.channel));
        const qsccBytes = await qscc.evaluateTransaction('GetBlockByNumber', config.channel, String(startBlock));
        const qsccBlock = common.Block.deserializeBinary(qsccBytes);
        const processed = peer.ProcessedTransaction.deserializeBinary(
            await qscc.evaluateTransaction('GetTransactionByID', config.channel, submitted.getTransactionId()),
        );

        const block = await firstItem(await network.getBlockEvents({ startBlock }));
        const filtered = await firstItem(await network.getFilteredBlockEvents({ startBlock }));
        const withPrivate = await firstItem(await network.getBlockAndPrivateDataEvents({ startBlock }));
        const describeFiltered = (f) => ({
            number: Number(f.getNumber()),
            channelId: f.getChannelId(),
            transactions: f.getFilteredTransactionsList().map((t) => ({
                txId: t.getTxid(),
                code: t.getTxValidationCode(),
                events: (t.getTransactionActions()?.getChaincodeActionsList() || []).map((a) => ({
                    chaincodeName: a.getChaincodeEvent().getChaincodeId(),
                    eventName: a.getChaincodeEvent().getEventName(),
                    payloadLength: a.getChaincodeEvent().getPayload_asU8().length,
                })),
            })),
        });
        return {
            transactionId: submitted.getTransactionId(),
            eventName: key('block'),
            blockNumber: Number(startBlock),
            chainInfo: { height: Number(info.getHeight()), currentHashLength: info.getCurrentblockhash_asU8().length },
            qsccBlock: { number: Number(qsccBlock.getHeader().getNumber()), txIds: blockTxIds(qsccBlock) },
            processed: { code: processed.getValidationcode() },
            block: block.error || {
                number: Number(block.value.getHeader().getNumber()),
                txIds: blockTxIds(block.value),
                sameAsQscc: Buffer.from(block.value.serializeBinary()).equals(Buffer.from(qsccBlock.serializeBinary())),
            },
            filtered: filtered.error || describeFiltered(filtered.value),
            withPrivateData: withPrivate.error || { unexpectedSuccess: true },
        };
    },

    async events({ contract, network, key, config }) {
        const name = key('event');
        const live = await network.getChaincodeEvents(config.chaincode);
        const liveSeen = collectEvents(live, name, 1);
        const first = await contract.submitAsync('Emit', { arguments: [`${name}-1`, 'payload-1'] });
        const firstStatus = await first.getStatus();
        const liveEvents = await liveSeen;

        const second = await contract.submitAsync('Emit', { arguments: [`${name}-2`, 'payload-2'] });
        const secondStatus = await second.getStatus();

        const fromBlock = await network.getChaincodeEvents(config.chaincode, {
            startBlock: BigInt(firstStatus.blockNumber),
        });
        const checkpoint = checkpointers.inMemory();
        await checkpoint.checkpointTransaction(firstStatus.blockNumber, first.getTransactionId());
        const afterTx = await network.getChaincodeEvents(config.chaincode, { checkpoint });
        return {
            eventPrefix: name,
            emitted: [
                { transactionId: first.getTransactionId(), status: describeStatus(firstStatus) },
                { transactionId: second.getTransactionId(), status: describeStatus(secondStatus) },
            ],
            live: liveEvents,
            fromBlock: await collectEvents(fromBlock, name, 2),
            afterTransaction: await collectEvents(afterTx, name, 1),
        };
    },
};

module.exports = { scenarios, describeError };
