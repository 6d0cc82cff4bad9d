/*
 * Usage: node client/main.js <config.json | -> <scenario|all> [scenario...]
 * Prints one JSON object {scenario: result} to stdout. A scenario that throws unexpectedly is
 * reported as {"crashed": error}, so one broken scenario does not hide the others.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
'use strict';

const fs = require('node:fs');
const { openGateway } = require('./connection');
const { scenarios, describeError } = require('./scenarios');

function readConfig(source) {
    const raw = source === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(source, 'utf8');
    return JSON.parse(raw);
}

function selected(names) {
    if (names.length === 0 || names.includes('all')) {
        return Object.keys(scenarios);
    }
    const unknown = names.filter((n) => !(n in scenarios));
    if (unknown.length > 0) {
        throw new Error(`unknown scenario(s): ${unknown.join(', ')}; known: ${Object.keys(scenarios).join(', ')}`);
    }
    return names;
}

async function main(argv) {
    if (argv.length < 1) {
        throw new Error('usage: main.js <config.json | -> <scenario|all> [scenario...]');
    }
    const config = readConfig(argv[0]);
    const names = selected(argv.slice(1));
    const connection = openGateway(config);
    const prefix = config.keyPrefix || `node-${process.pid}-${Date.now()}`;
    const results = {};
    try {
        for (const name of names) {
            const key = (label) => `${prefix}-${name}-${label}`;
            try {
                results[name] = await scenarios[name]({ ...connection, config, key });
            } catch (err) {
                results[name] = { crashed: describeError(err) };
            }
        }
    } finally {
        connection.close();
    }
    process.stdout.write(JSON.stringify(results) + '\n');
}

main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`conformance client: ${err.stack || err}\n`);
    process.exitCode = 2;
});
