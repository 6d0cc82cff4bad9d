/*
 * Opens a Fabric Gateway connection from the scenario config: plain or TLS gRPC, X.509 identity,
 * ECDSA private-key signer. The config shape is described in ../../README.md.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const grpc = require('@grpc/grpc-js');
const { connect, hash, signers } = require('@hyperledger/fabric-gateway');

const REQUIRED = ['endpoint', 'mspId', 'certPath', 'keyPath', 'channel', 'chaincode'];

function checkConfig(config) {
    const missing = REQUIRED.filter((field) => !config[field]);
    if (missing.length > 0) {
        throw new Error(`config is missing: ${missing.join(', ')}`);
    }
}

function newGrpcClient(config) {
    if (!config.tlsCaCertPath) {
        return new grpc.Client(config.endpoint, grpc.credentials.createInsecure());
    }
    const credentials = grpc.credentials.createSsl(fs.readFileSync(config.tlsCaCertPath));
    const options = config.serverNameOverride
        ? { 'grpc.ssl_target_name_override': config.serverNameOverride }
        : {};
    return new grpc.Client(config.endpoint, credentials, options);
}

// Generous deadlines: a stuck peer must fail a scenario, not hang the suite.
const deadline = (seconds) => () => ({ deadline: Date.now() + seconds * 1000 });

function openGateway(config) {
    checkConfig(config);
    const client = newGrpcClient(config);
    const gateway = connect({
        client,
        identity: { mspId: config.mspId, credentials: fs.readFileSync(config.certPath) },
        signer: signers.newPrivateKeySigner(crypto.createPrivateKey(fs.readFileSync(config.keyPath))),
        hash: hash.sha256,
        evaluateOptions: deadline(10),
        endorseOptions: deadline(20),
        submitOptions: deadline(20),
        commitStatusOptions: deadline(30),
    });
    const network = gateway.getNetwork(config.channel);
    return {
        gateway,
        network,
        contract: network.getContract(config.chaincode),
        close() {
            gateway.close();
            client.close();
        },
    };
}

module.exports = { openGateway };
