// A headless Credo-ts wallet that the project's tests drive over a small JSON control API.
//
//   node holder.mjs --control-port P --inbound-port Q --data DIR --label NAME
//                   [--auto-present] [--context URL=FILE ...] [--log-level debug|info|warn|error]
//
// One Askar wallet under DIR (kept across restarts), one did:key (Ed25519) created on first start,
// DIDComm v1 over HTTP on 127.0.0.1:Q, the control API on 127.0.0.1:P. When ready it prints one JSON
// line on stdout; everything else goes to stderr. Driven from Python by testkit/credo_holder.py.
//
// Mediated, as a phone: `--mediator-invitation URL` instead of `--inbound-port Q`. No inbound
// transport at all: the wallet connects to the mediator (an OOB invitation URL), waits until mediation
// is granted and its pickup WebSocket is open (implicit pickup, what ACA-Py mediators do), and only
// then prints its ready line, whose `endpoint` is the mediator's. Outbound: HTTP and WebSocket.
//
// OpenID for VC (the wallet side of controllers/oid4vc): POST /oid4vci/accept {offerUri, pin, binding?}
// takes a credential offer (OpenID4VCI, pre-authorized code with its PIN) and stores the SD-JWT VC it
// yields, bound to a fresh Ed25519 key (binding "jwk", the default) or to the startup did:key ("did");
// GET /sd-jwt-vcs lists them; POST /oid4vp/present {requestUri} answers an OpenID4VP request with what
// the request asks of the held SD-JWT VCs (only the claims it names are disclosed).
//
// The Askar native library is not downloaded: LIB_ASKAR_PATH names the directory holding
// libaries_askar.so (or the file itself), e.g. the one in the venv's aries_askar wheel.

import { createRequire } from 'node:module'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import zlib from 'node:zlib'

const require = createRequire(import.meta.url)

// stdout carries exactly one line (the ready line): every library's console output goes to stderr.
const writeStdout = process.stdout.write.bind(process.stdout)
for (const name of ['log', 'info', 'debug', 'trace']) console[name] = console.error

// ---------------------------------------------------------------------------------------------
// Arguments

function parseArgs(argv) {
  const args = { contexts: {}, autoPresent: false, logLevel: 'warn', label: 'Credo holder' }
  const takesValue = new Set(['--control-port', '--inbound-port', '--data', '--label', '--context', '--log-level'])
  takesValue.add('--mediator-invitation')
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]
    if (flag === '--auto-present') {
      args.autoPresent = true
      continue
    }
    if (!takesValue.has(flag)) fail(`unknown argument ${flag}`)
    const value = argv[++i]
    if (value === undefined) fail(`${flag} needs a value`)
    if (flag === '--control-port') args.controlPort = port(flag, value)
    else if (flag === '--inbound-port') args.inboundPort = port(flag, value)
    else if (flag === '--data') args.data = path.resolve(value)
    else if (flag === '--label') args.label = value
    else if (flag === '--log-level') args.logLevel = value
    else if (flag === '--mediator-invitation') args.mediatorInvitation = value
    else if (flag === '--context') {
      const at = value.indexOf('=')
      if (at < 1) fail('--context takes URL=FILE')
      const url = value.slice(0, at)
      const file = value.slice(at + 1)
      try {
        args.contexts[url] = JSON.parse(fs.readFileSync(file, 'utf8'))
      } catch (e) {
        fail(`--context ${url}: cannot read ${file}: ${e.message}`)
      }
    }
  }
  // Mediated: no inbound port at all (null), every message comes through the mediator's socket.
  if (args.mediatorInvitation !== undefined) {
    if (args.inboundPort !== undefined) fail('--mediator-invitation and --inbound-port exclude each other')
    args.inboundPort = null
  }
  for (const [flag, key] of [['--control-port', 'controlPort'], ['--inbound-port', 'inboundPort'], ['--data', 'data']]) {
    if (args[key] === undefined) fail(`${flag} is required`)
  }
  return args
}

function port(flag, value) {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 65535) fail(`${flag} must be a TCP port, not ${value}`)
  return n
}

function fail(message) {
  process.stderr.write(`holder: error: ${message}\n`)
  process.exit(2)
}

const args = parseArgs(process.argv.slice(2))

// The nodejs binding looks for `<LIB_ASKAR_PATH>/libaries_askar.so`: accept the file path too.
if (process.env.LIB_ASKAR_PATH && fs.existsSync(process.env.LIB_ASKAR_PATH) && fs.statSync(process.env.LIB_ASKAR_PATH).isFile()) {
  process.env.LIB_ASKAR_PATH = path.dirname(process.env.LIB_ASKAR_PATH)
}

function load(name) {
  try {
    return require(name)
  } catch (e) {
    const hint = name.includes('askar')
      ? ' (LIB_ASKAR_PATH must name the directory holding libaries_askar.so, e.g. the venv\'s aries_askar package)'
      : ' (run ./run setup to install testkit/credo/node_modules)'
    fail(`cannot load ${name}: ${String(e.message).split('\n')[0]}${hint}`)
  }
}

const core = load('@credo-ts/core')
const { agentDependencies, HttpInboundTransport } = load('@credo-ts/node')
const NodeFileSystem = agentDependencies.FileSystem
const { AskarModule } = load('@credo-ts/askar')
const { OpenId4VcHolderModule } = load('@credo-ts/openid4vc')
const { askarNodeJS: askar } = load('@openwallet-foundation/askar-nodejs')
const askarShared = load('@openwallet-foundation/askar-shared')
const { defaultDocumentLoader } = load('@credo-ts/core/build/modules/vc/data-integrity/libraries/documentLoader')
try {
  askar.version() // loads the native library now, so a wrong LIB_ASKAR_PATH fails here in one line
} catch (e) {
  fail(`cannot load the Askar native library: ${String(e.message).split('\n')[0]} (set LIB_ASKAR_PATH to the directory holding libaries_askar.so)`)
}

const {
  Agent,
  AutoAcceptCredential,
  AutoAcceptProof,
  BaseLogger,
  ClaimFormat,
  ConnectionsModule,
  CredentialEventTypes,
  CredentialRole,
  CredentialState,
  CredentialsModule,
  DidKey,
  DifPresentationExchangeProofFormatService,
  DifPresentationExchangeService,
  SdJwtVcService,
  getJwkFromKey,
  HttpOutboundTransport,
  JsonLdCredentialFormatService,
  JsonTransformer,
  Key,
  KeyDerivationMethod,
  KeyType,
  LogLevel,
  ProofEventTypes,
  ProofRole,
  ProofState,
  ProofsModule,
  TypedArrayEncoder,
  V2CredentialProtocol,
  V2ProofProtocol,
  W3cCredentialsModule,
  W3cPresentation,
  vcLibraries,
} = core
// Mediated mode (--mediator-invitation) only.
const { MediationRecipientModule, MediatorPickupStrategy, TransportEventTypes, WsOutboundTransport } = core

// ---------------------------------------------------------------------------------------------
// Logging (stderr only)

class StderrLogger extends BaseLogger {
  write(level, name, message, data) {
    if (!this.isEnabled(level)) return
    if (level === LogLevel.warn && / module is experimental/.test(message)) return // once per module per start: noise
    let extra = ''
    if (data !== undefined) {
      try {
        extra = ' ' + JSON.stringify(data, (k, v) => (v instanceof Error ? { message: v.message, stack: v.stack } : v))
      } catch {
        extra = ' [unserializable data]'
      }
    }
    process.stderr.write(`${new Date().toISOString()} ${name} ${message}${extra}\n`)
  }
  test(m, d) { this.write(LogLevel.test, 'TEST', m, d) }
  trace(m, d) { this.write(LogLevel.trace, 'TRACE', m, d) }
  debug(m, d) { this.write(LogLevel.debug, 'DEBUG', m, d) }
  info(m, d) { this.write(LogLevel.info, 'INFO', m, d) }
  warn(m, d) { this.write(LogLevel.warn, 'WARN', m, d) }
  error(m, d) { this.write(LogLevel.error, 'ERROR', m, d) }
  fatal(m, d) { this.write(LogLevel.fatal, 'FATAL', m, d) }
}

const LEVELS = { trace: LogLevel.trace, debug: LogLevel.debug, info: LogLevel.info, warn: LogLevel.warn, error: LogLevel.error, off: LogLevel.off }
if (!(args.logLevel in LEVELS)) fail(`--log-level must be one of ${Object.keys(LEVELS).join(', ')}`)
const logger = new StderrLogger(LEVELS[args.logLevel])
const note = (message) => process.stderr.write(`${new Date().toISOString()} holder ${message}\n`)

// ---------------------------------------------------------------------------------------------
// Wallet and agent

fs.mkdirSync(args.data, { recursive: true, mode: 0o700 })

// The wallet's raw key lives next to it (0600): a test wallet, not a custody of real secrets.
function walletKey() {
  const file = path.join(args.data, 'wallet.key')
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim()
  const key = askarShared.Store.generateRawKey()
  fs.writeFileSync(file, key, { mode: 0o600 })
  return key
}

// Credo's own cached contexts, plus the ones given with --context; a DID URL is resolved locally.
// Anything else fails (this holder never fetches a context from the network).
function documentLoader(agentContext) {
  const fallback = defaultDocumentLoader(agentContext)
  return async (url) => {
    const base = url.split('#')[0]
    if (base in args.contexts) return { contextUrl: null, documentUrl: url, document: args.contexts[base] }
    return fallback(url)
  }
}

class DataDirFileSystem extends NodeFileSystem {
  constructor() {
    super({ baseDataPath: args.data, baseCachePath: args.data, baseTempPath: args.data })
  }
}

// Mediated: none of its own; the mediator's once mediation is granted (see main).
let endpoint = args.mediatorInvitation ? null : `http://127.0.0.1:${args.inboundPort}`

const agent = new Agent({
  config: {
    label: args.label,
    walletConfig: {
      id: 'credo-holder',
      key: walletKey(),
      keyDerivationMethod: KeyDerivationMethod.Raw,
      storage: { type: 'sqlite', config: { path: path.join(args.data, 'wallet.sqlite') } },
    },
    endpoints: endpoint ? [endpoint] : [],
    logger,
    autoUpdateStorageOnStartup: true,
  },
  dependencies: { ...agentDependencies, FileSystem: DataDirFileSystem },
  modules: {
    ...(args.mediatorInvitation ? {
      mediationRecipient: new MediationRecipientModule({
        mediatorInvitationUrl: args.mediatorInvitation,
        // ACA-Py has no pickup protocol: it delivers over the open socket (return route "all").
        mediatorPickupStrategy: MediatorPickupStrategy.Implicit,
      }),
    } : {}),
    askar: new AskarModule({ ariesAskar: askar }),
    openId4VcHolder: new OpenId4VcHolderModule(),
    connections: new ConnectionsModule({ autoAcceptConnections: true }),
    w3cCredentials: new W3cCredentialsModule({ documentLoader }),
    credentials: new CredentialsModule({
      autoAcceptCredentials: AutoAcceptCredential.Never,
      credentialProtocols: [new V2CredentialProtocol({ credentialFormats: [new JsonLdCredentialFormatService()] })],
    }),
    proofs: new ProofsModule({
      autoAcceptProofs: AutoAcceptProof.Never,
      proofProtocols: [new V2ProofProtocol({ proofFormats: [new DifPresentationExchangeProofFormatService()] })],
    }),
  },
})

// The HTTP inbound transport listens on every interface by default: keep it on loopback.
const inbound = new HttpInboundTransport({ port: args.inboundPort })
const expressListen = inbound.app.listen.bind(inbound.app)
inbound.app.listen = (p, ...rest) => expressListen(p, '127.0.0.1', ...rest)
if (!args.mediatorInvitation) agent.registerInboundTransport(inbound)
agent.registerOutboundTransport(new HttpOutboundTransport())
if (args.mediatorInvitation) agent.registerOutboundTransport(new WsOutboundTransport())

// ---------------------------------------------------------------------------------------------
// State: the holder's DID, and what the control API waits on

let did
let keyAgreement
const accepting = new Map() // issuer-side credential record id -> { resolve, reject } (proposal accepted)

async function ensureDid() {
  const created = await agent.dids.getCreatedDids({ method: 'key' })
  const ed25519 = created.find((r) => DidKey.fromDid(r.did).key.keyType === KeyType.Ed25519)
  if (ed25519) return ed25519.did
  const result = await agent.dids.create({ method: 'key', options: { keyType: KeyType.Ed25519 } })
  if (result.didState.state !== 'finished') throw new Error(`did:key creation failed: ${result.didState.reason}`)
  return result.didState.did
}

async function keyAgreementOf(didKey) {
  const doc = await agent.dids.resolveDidDocument(didKey)
  const entry = (doc.keyAgreement ?? [])[0]
  const method = typeof entry === 'string' ? doc.dereferenceKey(entry, ['keyAgreement']) : entry
  if (!method?.publicKeyBase58) throw new Error('the did:key document has no X25519 keyAgreement key')
  // A Key's fingerprint is z + base58btc(multicodec prefix + raw key): 0xec01 for X25519.
  return Key.fromPublicKeyBase58(method.publicKeyBase58, KeyType.X25519).fingerprint
}

// ---------------------------------------------------------------------------------------------
// Which did:key this wallet can act as: any did:key whose Ed25519 private key is in its Askar wallet,
// not only the one created at startup. Credo names an Askar key by the base58 of its public key
// (also the connection keys it creates for DID Exchange, whose did:key an issuer may bind a
// credential to), and signs for a did:key by resolving it and fetching that key.

// The Ed25519 Key of a did:key (a DID, no fragment), or null for anything else (a DID URL, another
// method, another key type, junk).
function ed25519OfDidKey(value) {
  if (typeof value !== 'string' || !value.startsWith('did:key:') || /[#?/]/.test(value.slice(8))) return null
  try {
    const key = DidKey.fromDid(value).key
    return key.keyType === KeyType.Ed25519 ? key : null
  } catch {
    return null
  }
}

// Runs fn(askarKey) with the wallet's private key for the did:key, or returns null when the wallet
// does not hold it. The native key handle is freed afterwards.
async function withHeldKey(didKey, fn) {
  const key = ed25519OfDidKey(didKey)
  if (!key) return null
  const entry = await agent.context.wallet.withSession((session) => session.fetchKey({ name: key.publicKeyBase58 }))
  if (!entry?.key) return null
  try {
    return await fn(entry.key)
  } finally {
    entry.key.handle.free()
  }
}

async function holdsDidKey(value) {
  return (await withHeldKey(value, async () => true)) === true
}

// Checks a DID given to the control API: 400 if it is no Ed25519 did:key, 422 if the key is not held.
async function requireHeldDidKey(value, name) {
  if (!ed25519OfDidKey(value)) throw new HttpError(400, `"${name}" must be an Ed25519 did:key (did:key:z6Mk...), not ${JSON.stringify(value)}`)
  if (!(await holdsDidKey(value))) throw new HttpError(422, `${value} is not a did:key whose private key this wallet holds`)
  return value
}

// The did:key of every Ed25519 key in the wallet, the startup DID first.
async function heldDidKeys() {
  const entries = await agent.context.wallet.withSession((session) => session.fetchAllKeys({ algorithm: askarShared.KeyAlgorithm.Ed25519 }))
  const found = []
  for (const entry of entries) {
    try {
      found.push(new DidKey(Key.fromPublicKey(entry.key.publicBytes, KeyType.Ed25519)).did)
    } finally {
      entry.key.handle.free()
    }
  }
  return [did, ...found.filter((d) => d !== did)]
}

function issuerId(credential) {
  const issuer = credential?.issuer
  return typeof issuer === 'string' ? issuer : issuer?.id
}

// ---------------------------------------------------------------------------------------------
// Event handling: holder accepts offers addressed to a DID it holds, issuer signs what it agreed to

function subjectIds(credential) {
  const subjects = Array.isArray(credential?.credentialSubject) ? credential.credentialSubject : [credential?.credentialSubject]
  return subjects.map((s) => s?.id)
}

async function onCredentialState({ credentialRecord: record }) {
  const id = record.id
  try {
    if (record.role === CredentialRole.Holder && record.state === CredentialState.OfferReceived) {
      const { offer } = await agent.credentials.getFormatData(id)
      const credential = offer?.jsonld?.credential
      const ids = subjectIds(credential)
      const held = await Promise.all(ids.map((s) => holdsDidKey(s)))
      if (credential && ids.length > 0 && held.every(Boolean)) {
        note(`accepting credential offer ${id}`)
        await agent.credentials.acceptOffer({ credentialRecordId: id })
      } else {
        note(`declining credential offer ${id}: its subject ${JSON.stringify(ids)} is not a did:key this wallet holds`)
        await agent.credentials.declineOffer(id, {
          sendProblemReport: true,
          problemReportDescription: "the credential's subject is not a DID of this holder (a did:key whose key it holds)",
        })
      }
    } else if (record.role === CredentialRole.Holder && record.state === CredentialState.CredentialReceived) {
      note(`credential ${id} received and stored; acknowledging`)
      await agent.credentials.acceptCredential({ credentialRecordId: id })
    } else if (record.role === CredentialRole.Issuer && record.state === CredentialState.RequestReceived && accepting.has(id)) {
      note(`signing requested credential ${id}`)
      await agent.credentials.acceptRequest({ credentialRecordId: id })
    } else if (record.role === CredentialRole.Issuer && accepting.has(id)) {
      if ([CredentialState.CredentialIssued, CredentialState.Done].includes(record.state)) {
        accepting.get(id).resolve(record)
      } else if ([CredentialState.Abandoned, CredentialState.Declined].includes(record.state)) {
        accepting.get(id).reject(new Error(`exchange ended in state ${record.state}: ${record.errorMessage ?? 'no reason given'}`))
      }
    }
  } catch (error) {
    logger.error(`credential exchange ${id} (${record.role}, ${record.state}) failed: ${error.message}`)
    if (accepting.has(id)) accepting.get(id).reject(error)
  }
}

async function presentProof(id) {
  const record = await agent.proofs.acceptRequest({ proofRecordId: id })
  return record.state
}

async function onProofState({ proofRecord: record }) {
  if (record.role !== ProofRole.Prover || record.state !== ProofState.RequestReceived || !args.autoPresent) return
  try {
    note(`presenting for proof request ${record.id} (auto)`)
    await presentProof(record.id)
  } catch (error) {
    logger.error(`automatic presentation for ${record.id} failed: ${error.message}`)
  }
}

// ---------------------------------------------------------------------------------------------
// Control API

class HttpError extends Error {
  constructor(status, message) {
    super(message)
    this.status = status
  }
}

function oneLine(text) {
  return String(text ?? 'error').replace(/\s+/g, ' ').trim().slice(0, 2000)
}

function timeoutAfter(ms, what) {
  let timer
  const promise = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new HttpError(504, `timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  return { promise, cancel: () => clearTimeout(timer) }
}

async function withTimeout(promise, ms, what) {
  const t = timeoutAfter(ms, what)
  try {
    return await Promise.race([promise, t.promise])
  } finally {
    t.cancel()
  }
}

function requireObject(body, name) {
  const value = body?.[name]
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new HttpError(400, `"${name}" must be a JSON object`)
  return value
}

function requireString(body, name) {
  const value = body?.[name]
  if (typeof value !== 'string' || !value) throw new HttpError(400, `"${name}" must be a non-empty string`)
  return value
}

function timeoutMs(body, fallback) {
  const t = body?.timeout
  if (t === undefined) return fallback
  if (typeof t !== 'number' || !(t > 0)) throw new HttpError(400, '"timeout" must be a positive number of seconds')
  return Math.round(t * 1000)
}

async function getRecord(api, id, what) {
  const record = await api.findById(id)
  if (!record) throw new HttpError(404, `no ${what} ${id}`)
  return record
}

const routes = [
  ['GET', /^\/status$/, async () => ({ did, keyAgreement, label: args.label, endpoint, dids: await heldDidKeys() })],

  ['POST', /^\/invitations$/, async (_m, body) => {
    const url = requireString(body, 'url')
    const { connectionRecord } = await agent.oob.receiveInvitationFromUrl(url, {
      label: args.label,
      autoAcceptInvitation: true,
      autoAcceptConnection: true,
      reuseConnection: false,
    })
    if (!connectionRecord) throw new HttpError(422, 'the invitation started no connection (it offers no handshake protocol)')
    const done = await agent.connections.returnWhenIsConnected(connectionRecord.id, { timeoutMs: timeoutMs(body, 20000) })
    return { connectionId: done.id, theirLabel: done.theirLabel ?? null, protocol: done.protocol ?? null }
  }],

  ['GET', /^\/connections$/, async () =>
    (await agent.connections.getAll()).map((c) => ({ id: c.id, state: c.state, theirLabel: c.theirLabel ?? null, protocol: c.protocol ?? null })),
  ],

  ['GET', /^\/credentials$/, async () =>
    (await agent.w3cCredentials.getAllCredentialRecords()).map((r) => JsonTransformer.toJSON(r.credential)),
  ],

  ['GET', /^\/credential-exchanges$/, async () =>
    (await agent.credentials.getAll()).map((r) => ({
      id: r.id, role: r.role, state: r.state, threadId: r.threadId, connectionId: r.connectionId ?? null, errorMessage: r.errorMessage ?? null,
    })),
  ],

  ['GET', /^\/proof-exchanges$/, async () =>
    (await agent.proofs.getAll()).map((r) => ({
      id: r.id, role: r.role, state: r.state, threadId: r.threadId, connectionId: r.connectionId ?? null, errorMessage: r.errorMessage ?? null,
    })),
  ],

  ['GET', /^\/proof-requests$/, async () => {
    const records = await agent.proofs.findAllByQuery({ role: ProofRole.Prover, state: ProofState.RequestReceived })
    const out = []
    for (const r of records) {
      const { request } = await agent.proofs.getFormatData(r.id)
      const pe = request?.presentationExchange
      if (!pe) continue
      out.push({ id: r.id, connectionId: r.connectionId ?? null, presentationDefinition: pe.presentation_definition, options: pe.options ?? {} })
    }
    return out
  }],

  ['POST', /^\/proof-requests\/([^/]+)\/accept$/, async ([, id]) => {
    const record = await getRecord(agent.proofs, id, 'proof request')
    if (record.role !== ProofRole.Prover || record.state !== ProofState.RequestReceived) {
      throw new HttpError(409, `proof exchange ${id} is in state ${record.state}, not a pending request`)
    }
    return { state: await presentProof(id) }
  }],

  ['GET', /^\/credential-proposals$/, async () => {
    const records = await agent.credentials.findAllByQuery({ role: CredentialRole.Issuer, state: CredentialState.ProposalReceived })
    const out = []
    for (const r of records) {
      const { proposal } = await agent.credentials.getFormatData(r.id)
      if (!proposal?.jsonld) continue
      const credential = proposal.jsonld.credential
      out.push({
        id: r.id, connectionId: r.connectionId ?? null, credential, options: proposal.jsonld.options,
        issuerHeld: await holdsDidKey(issuerId(credential)),
      })
    }
    return out
  }],

  ['POST', /^\/credential-proposals\/([^/]+)\/accept$/, async ([, id], body) => {
    const record = await getRecord(agent.credentials, id, 'credential proposal')
    if (record.role !== CredentialRole.Issuer || record.state !== CredentialState.ProposalReceived) {
      throw new HttpError(409, `credential exchange ${id} is in state ${record.state}, not a received proposal`)
    }
    const { proposal } = await agent.credentials.getFormatData(id)
    if (!proposal?.jsonld) throw new HttpError(422, `credential exchange ${id} has no jsonld proposal`)
    const replacement = body?.credential
    if (replacement !== undefined && (replacement === null || typeof replacement !== 'object' || Array.isArray(replacement))) {
      throw new HttpError(400, '"credential" must be a JSON object when given')
    }
    // Credo signs with the issuer DID's verification method: refuse now, not after the request
    // arrives, when this wallet cannot sign as that issuer.
    const issuer = issuerId(replacement ?? proposal.jsonld.credential)
    if (!(await holdsDidKey(issuer))) {
      throw new HttpError(422, `the credential's issuer ${JSON.stringify(issuer ?? null)} is not a did:key whose private key this wallet holds`)
    }
    const issued = new Promise((resolve, reject) => accepting.set(id, { resolve, reject }))
    try {
      if (replacement) {
        await agent.credentials.negotiateProposal({
          credentialRecordId: id,
          credentialFormats: { jsonld: { credential: replacement, options: proposal.jsonld.options } },
        })
      } else {
        await agent.credentials.acceptProposal({ credentialRecordId: id })
      }
      const done = await withTimeout(issued, timeoutMs(body, 30000), 'the credential request')
      const { credential } = await agent.credentials.getFormatData(id)
      return { state: done.state, credential: credential?.jsonld ?? null }
    } finally {
      accepting.delete(id)
    }
  }],

  ['POST', /^\/sign-presentation$/, async (_m, body) => {
    const presentationJson = { ...requireObject(body, 'presentation') }
    const challenge = requireString(body, 'challenge')
    const domain = body.domain === undefined || body.domain === null ? undefined : requireString(body, 'domain')
    const proofType = body.proofType === undefined ? 'Ed25519Signature2018' : requireString(body, 'proofType')
    // The signer: "did" if given, else the presentation's holder, else the startup DID.
    const holder = typeof presentationJson.holder === 'object' && presentationJson.holder !== null ? presentationJson.holder.id : presentationJson.holder
    const signer = body.did !== undefined && body.did !== null ? requireString(body, 'did') : holder ?? did
    await requireHeldDidKey(signer, body.did !== undefined && body.did !== null ? 'did' : 'presentation.holder')
    if (holder !== undefined && holder !== signer) throw new HttpError(400, `the presentation's holder ${JSON.stringify(holder)} is not the signer ${signer}`)
    if (presentationJson.holder === undefined) presentationJson.holder = signer
    const presentation = JsonTransformer.fromJSON(presentationJson, W3cPresentation)
    const signed = await agent.w3cCredentials.signPresentation({
      format: ClaimFormat.LdpVp,
      presentation,
      proofType,
      proofPurpose: new vcLibraries.jsonldSignatures.purposes.AuthenticationProofPurpose({ challenge, domain }),
      verificationMethod: `${signer}#${signer.slice('did:key:'.length)}`,
      challenge,
      domain,
    })
    return JsonTransformer.toJSON(signed)
  }],

  ['POST', /^\/oid4vci\/accept$/, async (_m, body) => {
    const offerUri = requireString(body, 'offerUri')
    const pin = body.pin === undefined || body.pin === null ? undefined : requireString(body, 'pin')
    const binding = body.binding === undefined ? 'jwk' : requireString(body, 'binding')
    if (!['jwk', 'did'].includes(binding)) throw new HttpError(400, '"binding" must be "jwk" or "did"')
    return await asUnprocessable(async () => {
      const holder = agent.modules.openId4VcHolder
      const resolvedCredentialOffer = await holder.resolveCredentialOffer(offerUri)
      const token = await holder.requestToken({ resolvedCredentialOffer, txCode: pin })
      const responses = await holder.requestCredentials({
        resolvedCredentialOffer,
        ...token,
        allowedProofOfPossessionSignatureAlgorithms: ['EdDSA'],
        credentialBindingResolver: async ({ supportsJwk }) => {
          if (binding === 'jwk' && supportsJwk) {
            // A key of its own for this credential: nothing links it to the wallet's DIDComm DIDs.
            const key = await agent.context.wallet.createKey({ keyType: KeyType.Ed25519 })
            return { method: 'jwk', jwk: getJwkFromKey(key) }
          }
          return { method: 'did', didUrl: `${did}#${did.slice('did:key:'.length)}` }
        },
      })
      const stored = []
      for (const { credential } of responses) {
        if (typeof credential?.compact !== 'string') throw new Error('the issuer answered with something other than an SD-JWT VC')
        const record = await agent.sdJwtVc.store(credential.compact)
        stored.push(sdJwtVcJson(record))
      }
      return { credentials: stored }
    })
  }],

  ['GET', /^\/sd-jwt-vcs$/, async () => (await agent.sdJwtVc.getAll()).map(sdJwtVcJson)],

  ['POST', /^\/oid4vp\/present$/, async (_m, body) => {
    const requestUri = requireString(body, 'requestUri')
    return await asUnprocessable(async () => {
      const holder = agent.modules.openId4VcHolder
      const resolved = await holder.resolveSiopAuthorizationRequest(requestUri)
      const exchange = resolved.presentationExchange
      if (!exchange) throw new Error('the request asks for no presentation (no presentation_definition)')
      if (!exchange.credentialsForRequest.areRequirementsSatisfied) throw new Error('no held credential satisfies the request')
      const credentials = agent.dependencyManager.resolve(DifPresentationExchangeService).selectCredentialsForRequest(exchange.credentialsForRequest)
      const { serverResponse, submittedResponse } = await holder.acceptSiopAuthorizationRequest({
        authorizationRequest: resolved.authorizationRequest,
        presentationExchange: { credentials },
      })
      return {
        clientId: resolved.authorizationRequest.authorizationRequestPayload.client_id ?? null,
        status: serverResponse.status,
        body: serverResponse.body ?? null,
        submitted: submittedResponse,
      }
    })
  }],

  ['POST', /^\/decrypt$/, async (_m, body) => {
    const jwe = requireObject(body, 'jwe')
    const given = body.did !== undefined && body.did !== null ? await requireHeldDidKey(requireString(body, 'did'), 'did') : undefined
    const { plaintext, did: opener } = await decryptJwe(jwe, given)
    return { plaintext_b64: plaintext.toString('base64'), did: opener }
  }],
]

// ---------------------------------------------------------------------------------------------
// JWE (general JSON serialization): ECDH-ES+A256KW per recipient with X25519, content A256GCM,
// optionally zip DEF. A recipient key is the Ed25519 key of a did:key this wallet holds, converted
// to X25519: the one named by "did", else those of the did:keys the recipients' kids name (a kid is a
// DID URL such as did:key:z6Mk...#z6LS..., see custody/keys.py), then the startup DID's.

const b64u = (value, name) => {
  if (typeof value !== 'string') throw new HttpError(400, `JWE member "${name}" is missing or not a string`)
  return TypedArrayEncoder.fromBase64(value)
}

// The did:key a recipient's kid names (its DID part), when this wallet holds its key.
async function heldDidOfKid(kid) {
  if (typeof kid !== 'string') return null
  const didPart = kid.split('#')[0]
  return (await holdsDidKey(didPart)) ? didPart : null
}

// Returns { plaintext: Buffer, did: the did:key whose key opened it }.
async function decryptJwe(jwe, onlyDid) {
  const { KeyAlgorithm, EcdhEs, Jwk, Key: AskarKey } = askarShared
  let protectedHeader
  try {
    protectedHeader = JSON.parse(Buffer.from(b64u(jwe.protected, 'protected')).toString('utf8'))
  } catch (e) {
    if (e instanceof HttpError) throw e
    throw new HttpError(400, 'JWE protected header is not JSON')
  }
  if (protectedHeader.enc !== 'A256GCM') throw new HttpError(400, 'JWE content encryption must be A256GCM')
  if (![undefined, 'DEF'].includes(protectedHeader.zip)) throw new HttpError(400, 'JWE compression must be absent or DEF')
  const shared = jwe.unprotected ?? {}
  const entries = (Array.isArray(jwe.recipients) ? jwe.recipients : [{ header: jwe.header, encrypted_key: jwe.encrypted_key }])
    .map((entry) => ({ entry, header: { ...protectedHeader, ...shared, ...(entry?.header ?? {}) } }))
    .filter(({ header }) => header.alg === 'ECDH-ES+A256KW' && header.epk)

  let candidates
  if (onlyDid) {
    candidates = [onlyDid]
  } else {
    candidates = []
    for (const { header } of entries) {
      const named = await heldDidOfKid(header.kid)
      if (named && !candidates.includes(named)) candidates.push(named)
    }
    if (!candidates.includes(did)) candidates.push(did)
  }

  const unwrap = (x25519) => {
    for (const { entry, header } of entries) {
      let epk
      try {
        epk = AskarKey.fromJwk({ jwk: Jwk.fromJson(header.epk) })
        const ecdh = new EcdhEs({
          algId: Uint8Array.from(Buffer.from(header.alg)),
          apu: header.apu ? Uint8Array.from(TypedArrayEncoder.fromBase64(header.apu)) : new Uint8Array(0),
          apv: header.apv ? Uint8Array.from(TypedArrayEncoder.fromBase64(header.apv)) : new Uint8Array(0),
        })
        return ecdh.receiverUnwrapKey({
          keyWrappingAlgorithm: KeyAlgorithm.AesA256Kw,
          encryptionAlgorithm: KeyAlgorithm.AesA256Gcm,
          ephemeralKey: epk,
          recipientKey: x25519,
          ciphertext: b64u(entry.encrypted_key, 'encrypted_key'),
        })
      } catch {
        continue // not this recipient
      } finally {
        epk?.handle.free()
      }
    }
    return null
  }

  let cek
  let opener
  for (const candidate of candidates) {
    cek = await withHeldKey(candidate, async (edKey) => {
      const x25519 = edKey.convertkey({ algorithm: KeyAlgorithm.X25519 })
      try {
        return unwrap(x25519)
      } finally {
        x25519.handle.free()
      }
    })
    if (cek) {
      opener = candidate
      break
    }
  }
  if (!cek) {
    const whose = onlyDid ? `the key of ${onlyDid}` : "this holder's keys"
    throw new HttpError(422, `${whose} opens none of the JWE's recipient entries`)
  }
  let data
  try {
    data = cek.aeadDecrypt({
      ciphertext: b64u(jwe.ciphertext, 'ciphertext'),
      nonce: b64u(jwe.iv, 'iv'),
      tag: b64u(jwe.tag, 'tag'),
      aad: Uint8Array.from(Buffer.from(jwe.protected, 'ascii')),
    })
  } catch {
    throw new HttpError(422, 'JWE content failed authentication')
  } finally {
    cek.handle.free()
  }
  const plaintext = protectedHeader.zip === 'DEF' ? zlib.inflateRawSync(Buffer.from(data)) : Buffer.from(data)
  return { plaintext, did: opener }
}

// What a failed OpenID exchange says, as 422 (the library's own message, one line).
async function asUnprocessable(fn) {
  try {
    return await fn()
  } catch (error) {
    if (error instanceof HttpError) throw error
    const cause = error?.cause?.message ? ` (${error.cause.message})` : ''
    throw new HttpError(422, `${error?.message ?? error}${cause}`)
  }
}

function sdJwtVcJson(record) {
  const decoded = agent.dependencyManager.resolve(SdJwtVcService).fromCompact(record.compactSdJwtVc)
  return { id: record.id, compact: record.compactSdJwtVc, header: decoded.header, claims: decoded.prettyClaims }
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function send(res, status, value) {
  const body = JSON.stringify(value)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1')
  try {
    const pathMatches = routes.filter(([, pattern]) => pattern.test(url.pathname))
    if (pathMatches.length === 0) throw new HttpError(404, `no route ${url.pathname}`)
    const route = pathMatches.find(([method]) => method === req.method)
    if (!route) throw new HttpError(405, `${req.method} is not allowed on ${url.pathname}`)
    const text = await readBody(req)
    let body = {}
    if (text.trim()) {
      try {
        body = JSON.parse(text)
      } catch {
        throw new HttpError(400, 'the request body is not JSON')
      }
    }
    send(res, 200, await route[2](url.pathname.match(route[1]).map(decodeURIComponent), body))
  } catch (error) {
    const status = error instanceof HttpError ? error.status : 500
    if (status >= 500) logger.error(`control ${req.method} ${url.pathname} failed: ${error.stack ?? error}`)
    send(res, status, { error: oneLine(error?.message ?? error) })
  }
}

// ---------------------------------------------------------------------------------------------
// Start and stop

const control = http.createServer((req, res) => void handle(req, res))

let stopping = false
async function stop(signal) {
  if (stopping) return
  stopping = true
  note(`${signal}: shutting down`)
  control.close()
  try {
    await agent.shutdown()
  } catch (error) {
    logger.error(`shutdown: ${error.message}`)
  }
  process.exit(0)
}

// Mediated: initialize() has connected to the mediator and waited for the grant; the pickup socket
// opens just after, in the background. Ready waits for that socket too, and the endpoint others reach
// this wallet at is the mediator's (the grant's).
const mediatorSockets = new Set() // connection ids with an open outbound WebSocket
async function mediatorReady(timeoutMs) {
  const mediator = await agent.mediationRecipient.findDefaultMediator()
  if (!mediator?.isReady) throw new Error('the mediator did not grant mediation')
  const deadline = Date.now() + timeoutMs
  while (!mediatorSockets.has(mediator.connectionId)) {
    if (Date.now() > deadline) throw new Error(`no WebSocket to the mediator after ${timeoutMs} ms (does its DID document name a ws endpoint?)`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return mediator.endpoint
}

async function main() {
  if (args.mediatorInvitation) agent.events.on(TransportEventTypes.OutboundWebSocketOpenedEvent, (e) => mediatorSockets.add(e.payload.connectionId))
  await agent.initialize()
  if (args.mediatorInvitation) endpoint = await mediatorReady(30000)
  did = await ensureDid()
  keyAgreement = await keyAgreementOf(did)
  agent.events.on(CredentialEventTypes.CredentialStateChanged, (e) => void onCredentialState(e.payload))
  agent.events.on(ProofEventTypes.ProofStateChanged, (e) => void onProofState(e.payload))
  await new Promise((resolve, reject) => {
    control.once('error', reject)
    control.listen(args.controlPort, '127.0.0.1', resolve)
  })
  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.on('SIGINT', () => void stop('SIGINT'))
  writeStdout(JSON.stringify({ ready: true, control: `http://127.0.0.1:${args.controlPort}`, did, endpoint }) + '\n')
}

main().catch((error) => {
  const cause = error?.cause?.message ? `: ${error.cause.message}` : ''
  process.stderr.write(`holder: error: ${oneLine((error?.message ?? error) + cause)}\n`)
  if (error?.stack) process.stderr.write(`${error.stack}\n`)
  process.exit(1)
})
