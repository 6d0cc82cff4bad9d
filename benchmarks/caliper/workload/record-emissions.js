/*
 * Caliper workload: RecordEmissions of the emissions chaincode, each transaction for its own
 * customer (its own DID and account) so that no two transactions touch the same private customer
 * index bucket and none fails MVCC_READ_CONFLICT by design.
 *
 * The same request the project's client builds (controllers/ledger/records.py and
 * LedgerClient.record_emissions): the public RecordRequest JSON as the only argument, the private
 * CustomerDetail as canonical JSON (sorted keys, no whitespace) in the transient map under "detail",
 * with a fresh 128-bit salt per transaction. benchmarks/record_emissions.py uses the same customers,
 * months and kWh for index i, so both benchmarks send identical work.
 *
 * No endorsing organisations are named in the request (Caliper 0.6.0's peer-gateway connector has
 * no option for it): the gateway endorses on its own org first and then adds the other auditor org,
 * as both are members of the collections RecordEmissions writes; MAJORITY of the two needs both.
 *
 * Round arguments (all optional):
 *   firstCustomer  index of this round's first customer (rounds on one ledger must not overlap)
 *   utilityId      EIA utility id (14328)           edition     factor edition ("eGRID2023")
 *   auditorDid     the invoking auditor's DID        invokerMspId / invokerIdentity  who submits
 *   contractId     the chaincode (network config contract id, "emissions")
 */

'use strict';

const crypto = require('crypto');
const { WorkloadModuleBase } = require('@hyperledger/caliper-core');

const DEFAULT_DID = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'; // Auditor1MSP's

/** Sorted keys, no whitespace: chaincode/emissions/canonical.py's canonical_json for flat string maps. */
function canonicalJson(document) {
    const sorted = {};
    for (const key of Object.keys(document).sort()) {
        sorted[key] = document[key];
    }
    return JSON.stringify(sorted);
}

/** Month 1..12 as UTC ISO text with a Z, the way utc_text writes it. */
function monthStart(year, month) {
    return `${year}-${String(month).padStart(2, '0')}-01T00:00:00Z`;
}

class RecordEmissionsWorkload extends WorkloadModuleBase {
    constructor() {
        super();
        this.sent = 0;
    }

    async initializeWorkloadModule(workerIndex, totalWorkers, roundIndex, roundArguments, sutAdapter, sutContext) {
        await super.initializeWorkloadModule(workerIndex, totalWorkers, roundIndex, roundArguments, sutAdapter, sutContext);
        const args = roundArguments || {};
        this.firstCustomer = Number(args.firstCustomer || 0);
        this.utilityId = Number(args.utilityId || 14328);
        this.edition = args.edition || 'eGRID2023';
        this.auditorDid = args.auditorDid || DEFAULT_DID;
        this.invokerMspId = args.invokerMspId || 'Auditor1MSP';
        this.invokerIdentity = args.invokerIdentity || 'User1';
        this.contractId = args.contractId || 'emissions';
        this.sent = 0;
    }

    /** The i-th transaction of the ledger: its public arguments and its transient detail. */
    request(index) {
        const month = (index % 12) + 1;
        const endYear = 2024 + Math.floor(month / 12);
        const endMonth = (month % 12) + 1;
        const publicRequest = {
            utility_id: this.utilityId,
            period_start: monthStart(2024, month),
            period_end: monthStart(endYear, endMonth),
            edition: this.edition,
            auditor_did: this.auditorDid,
            supersedes: '',
        };
        const hex = index.toString(16).padStart(64, '0');
        const detail = canonicalJson({
            customer_did: `did:key:z6Mkbench${index}`,
            account_id: `ACCT-${index}`,
            service_point_id: 'SP-1',
            kwh: `${400 + (index % 97)}.125`,
            bill_format: 'espi-atom+xml',
            bill_content_id: `sha256:${hex}`,
            bill_hash: hex,
            salt: crypto.randomBytes(16).toString('hex'),
        });
        return { publicRequest: JSON.stringify(publicRequest), detail };
    }

    async submitTransaction() {
        // Workers interleave: worker w sends customers first+w, first+w+W, first+w+2W, ...
        const index = this.firstCustomer + this.workerIndex + this.totalWorkers * this.sent;
        this.sent += 1;
        const { publicRequest, detail } = this.request(index);
        await this.sutAdapter.sendRequests({
            contractId: this.contractId,
            contractFunction: 'EmissionsRecords:RecordEmissions',
            contractArguments: [publicRequest],
            transientMap: { detail },
            invokerMspId: this.invokerMspId,
            invokerIdentity: this.invokerIdentity,
            readOnly: false,
        });
    }
}

function createWorkloadModule() {
    return new RecordEmissionsWorkload();
}

module.exports.createWorkloadModule = createWorkloadModule;
