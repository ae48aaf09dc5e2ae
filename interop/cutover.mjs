#!/usr/bin/env node
// Drives a Switchback cutover from the Temporal TypeScript SDK's client, using only the names of
// the external contract (DESIGN.md section 5): task queue `switchback`, workflow type `Cutover`,
// workflow id `cutover-<plan name>`, the plan as JSON for input, the signal `approve`
// {gate, by, comment} and the query `status`. Nothing here imports Switchback code: it is the proof
// that a client which is not the project's can run a cutover.
//
//   node cutover.mjs --plan plan.json [--address 127.0.0.1:7233] [--namespace default]
//        [--approver NAME] [--comment TEXT] [--expect COMPLETED] [--timeout 600] [--json]
//
// Exit 0: the cutover ended with the expected outcome and every approval gate was approved by
// this script's signal. 1: anything else (unreachable server, rejected signal, other outcome,
// timeout). 2: bad arguments or plan file; nothing was started.
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const TASK_QUEUE = 'switchback';
const WORKFLOW_TYPE = 'Cutover';
const SIGNAL_APPROVE = 'approve';
const QUERY_STATUS = 'status';
const GATES = ['quiesce', 'switch', 'finalize'];
const OUTCOMES = ['COMPLETED', 'ROLLED_BACK', 'ABORTED', 'FAILED'];
const JSON_MODE = process.argv.includes('--json');

class Stop extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

function usage(message) {
  return new Stop(2, `${message}\nusage: node cutover.mjs --plan plan.json [--address HOST:PORT]`
    + ' [--namespace NS] [--approver NAME] [--comment TEXT] [--expect OUTCOME]'
    + ' [--timeout SECONDS] [--json]');
}

function options() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        plan: { type: 'string' },
        address: { type: 'string', default: process.env.TEMPORAL_ADDRESS || '127.0.0.1:7233' },
        namespace: { type: 'string', default: process.env.TEMPORAL_NAMESPACE || 'default' },
        approver: { type: 'string' },
        comment: { type: 'string', default: 'approved from the Temporal TypeScript SDK client' },
        expect: { type: 'string', default: 'COMPLETED' },
        timeout: { type: 'string', default: '600' },
        'poll-ms': { type: 'string', default: '250' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (e) {
    throw usage(e.message);
  }
  if (!parsed.plan) {
    throw usage('--plan is missing: give the plan as JSON, e.g. from ./switchback plan json PLAN.yaml > plan.json');
  }
  if (!OUTCOMES.includes(parsed.expect)) {
    throw usage(`--expect ${parsed.expect} is not an outcome: use one of ${OUTCOMES.join(', ')}`);
  }
  for (const name of ['timeout', 'poll-ms']) {
    if (!/^[1-9][0-9]*$/.test(parsed[name])) {
      throw usage(`--${name} ${parsed[name]} is not a positive whole number`);
    }
  }
  return {
    ...parsed,
    timeoutMs: Number(parsed.timeout) * 1000,
    pollMs: Number(parsed['poll-ms']),
  };
}

function readPlan(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Stop(2, `--plan ${file} cannot be read (${e.code || e.message}): check the path`);
  }
  let plan;
  try {
    plan = JSON.parse(text);
  } catch (e) {
    throw new Stop(2, `--plan ${file} is not JSON (${e.message}): convert the YAML plan with`
      + ' ./switchback plan json PLAN.yaml > plan.json');
  }
  if (plan === null || typeof plan !== 'object' || Array.isArray(plan)) {
    throw new Stop(2, `--plan ${file} is not a JSON object: it must be the plan itself`);
  }
  if (typeof plan.name !== 'string' || plan.name === '') {
    throw new Stop(2, `--plan ${file}: field name is missing; the workflow id is cutover-<name>`);
  }
  return plan;
}

// A gate the plan leaves out is an approval gate (the plan's defaults).
function approvalGates(plan) {
  return GATES.filter((g) => ((plan.gates && plan.gates[g] && plan.gates[g].mode) || 'approval') === 'approval');
}

function clientVersion() {
  try {
    const require = createRequire(import.meta.url);
    const main = require.resolve('@temporalio/client');
    return JSON.parse(readFileSync(join(dirname(main), '..', 'package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

function human(ms) {
  if (ms == null) return '';
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const opts = options();
  const plan = readPlan(opts.plan);
  // An approver is a name, or {name, publicKey} when approvals are signed. This client sends
  // unsigned approvals, which only a plan with `approvals: unsigned` accepts (docs/security.md).
  const approvers = (Array.isArray(plan.approvers) ? plan.approvers : [])
    .map((a) => (typeof a === 'string' ? a : a && a.name));
  const gates = approvalGates(plan);
  const approver = opts.approver || approvers[0];
  if (gates.length > 0 && !approver) {
    throw new Stop(2, `the plan has approval gates (${gates.join(', ')}) but no approvers: add one to`
      + ' the plan\'s approvers, or pass --approver');
  }
  if (gates.length > 0 && !approvers.includes(approver)) {
    throw new Stop(2, `--approver ${approver} is not one of the plan's approvers ${JSON.stringify(approvers)}`);
  }

  // With --json, stdout carries one JSON object at the end; the timeline goes to stderr.
  const say = opts.json ? (line) => process.stderr.write(`${line}\n`) : (line) => process.stdout.write(`${line}\n`);
  const summary = {
    address: opts.address,
    namespace: opts.namespace,
    client: `@temporalio/client ${clientVersion()}`,
    workflowId: `cutover-${plan.name}`,
    runId: null,
    statusReads: 0,
    statusReadFailures: 0,
    phases: [],
    signals: [],
    outcome: null,
    reason: null,
    applicationTarget: null,
    writeOutageMs: null,
    approvals: [],
    ok: false,
    problem: null,
  };

  let connection;
  try {
    connection = await Connection.connect({ address: opts.address, connectTimeout: '10s' });
  } catch (e) {
    throw new Stop(1, `cannot reach Temporal at ${opts.address} (${e.message}): start it, e.g.`
      + ' ./switchback server --port 7233, or pass --address');
  }
  try {
    const client = new Client({ connection, namespace: opts.namespace });
    say(`connected to ${opts.address}, namespace ${opts.namespace} (${summary.client})`);
    let handle;
    try {
      handle = await client.workflow.start(WORKFLOW_TYPE, {
        taskQueue: TASK_QUEUE,
        workflowId: summary.workflowId,
        args: [plan],
      });
    } catch (e) {
      throw new Stop(1, `starting ${WORKFLOW_TYPE} ${summary.workflowId} failed: ${e.message}`);
    }
    summary.runId = handle.firstExecutionRunId;
    say(`started workflow type ${WORKFLOW_TYPE} on task queue ${TASK_QUEUE}, id ${summary.workflowId},`
      + ` run ${summary.runId}, input: plan ${plan.name} from ${opts.plan}`);
    say(`approval gates ${gates.join(', ') || '(none)'}; approver ${approver || '-'}`);

    let report = null;
    let failure = null;
    let done = false;
    const result = handle.result().then(
      (r) => { report = r; },
      (e) => { failure = e; },
    ).finally(() => { done = true; });

    const deadline = Date.now() + opts.timeoutMs;
    const shown = new Map(); // timeline index -> the line shown for it
    let lastAnswer = Date.now();
    let lastPhase = null;
    let origin = null;
    const show = (entries) => {
      entries.forEach((e, i) => {
        if (origin === null) origin = e.startedAtMillis;
        const took = e.endedAtMillis > 0 ? human(e.endedAtMillis - e.startedAtMillis) : '';
        const line = `  +${human(e.startedAtMillis - origin).padStart(6)}  ${e.step.padEnd(30)} `
          + `${e.outcome.padEnd(11)} ${took.padStart(7)}  ${e.detail || ''}`;
        if (shown.get(i) !== line) {
          shown.set(i, line);
          say(line);
        }
      });
    };

    while (!done) {
      if (Date.now() > deadline) {
        throw new Stop(1, `no result within ${opts.timeout}s; the cutover is still running (phase ${lastPhase}):`
          + ` look at it with a status query on ${summary.workflowId}`);
      }
      let status = null;
      try {
        status = await handle.query(QUERY_STATUS);
        summary.statusReads++;
        lastAnswer = Date.now();
      } catch (e) {
        summary.statusReadFailures++;
        // The first workflow task may not have run yet; a worker that never answers is a problem.
        if (Date.now() - lastAnswer > 30_000) {
          throw new Stop(1, `the ${QUERY_STATUS} query has not been answered for 30s (${e.message}):`
            + ` is a Switchback worker polling task queue ${TASK_QUEUE}?`);
        }
      }
      if (status) {
        const where = `${status.phase}${status.pendingGate ? `, pending gate ${status.pendingGate}` : ''}`;
        if (where !== lastPhase) {
          lastPhase = where;
          summary.phases.push({ read: summary.statusReads, phase: status.phase, pendingGate: status.pendingGate ?? null });
          say(`status #${summary.statusReads}: phase ${where}; application on ${status.applicationTarget},`
            + ` writes ${status.writesStopped ? 'stopped' : 'flowing'}, outage so far ${human(status.writeOutageMs)},`
            + ` forward latency ${human(status.forwardLatencyMs) || '-'}`);
        }
        show(status.timeline || []);
        const rejected = (status.timeline || []).find((e) => e.outcome === 'REJECTED');
        if (rejected) {
          throw new Stop(1, `the workflow rejected a request: ${rejected.step}: ${rejected.detail}`);
        }
        const gate = status.pendingGate;
        if (gate && !summary.signals.some((s) => s.gate === gate)) {
          if (!gates.includes(gate)) {
            throw new Stop(1, `gate ${gate} is pending but the plan does not make it an approval gate`);
          }
          const request = { gate, by: approver, comment: opts.comment };
          await handle.signal(SIGNAL_APPROVE, request);
          summary.signals.push({ ...request, afterStatusRead: summary.statusReads });
          say(`signal ${SIGNAL_APPROVE} ${JSON.stringify(request)}`);
        }
      }
      await Promise.race([result, sleep(opts.pollMs)]);
    }

    if (failure) {
      const cause = failure instanceof WorkflowFailedError && failure.cause ? `: ${failure.cause.message}` : '';
      throw new Stop(1, `the workflow failed instead of returning a report: ${failure.message}${cause}`);
    }
    show(report.timeline || []);
    summary.outcome = report.outcome;
    summary.reason = report.reason ?? null;
    summary.applicationTarget = report.applicationTarget;
    summary.writeOutageMs = report.writeOutageMs;
    summary.approvals = report.approvals || [];
    say(`result: outcome ${report.outcome}${report.reason ? ` (${report.reason})` : ''}, application on`
      + ` ${report.applicationTarget}, write outage ${human(report.writeOutageMs)}`);
    for (const a of summary.approvals) {
      say(`  approval: gate ${a.gate} ${a.decision} by ${a.by}${a.comment ? `: ${a.comment}` : ''}`);
    }
    say(`status reads: ${summary.statusReads} answered, ${summary.statusReadFailures} not answered;`
      + ` signals sent: ${summary.signals.map((s) => `${SIGNAL_APPROVE}(${s.gate})`).join(', ') || 'none'}`);

    if (report.outcome !== opts.expect) {
      throw new Stop(1, `outcome ${report.outcome}, expected ${opts.expect}${report.reason ? `: ${report.reason}` : ''}`);
    }
    if (report.outcome === 'COMPLETED') {
      // A completed cutover passed every gate: each approval gate must carry this script's signal.
      for (const gate of gates) {
        const ours = summary.approvals.find((a) => a.gate === gate && a.decision === 'APPROVED' && a.by === approver);
        if (!ours) {
          throw new Stop(1, `gate ${gate} has no approval by ${approver} in the report`);
        }
      }
    }
    summary.ok = true;
    return summary;
  } catch (e) {
    e.summary = summary;
    throw e;
  } finally {
    await connection.close();
  }
}

main().then(
  (summary) => {
    if (JSON_MODE) process.stdout.write(`${JSON.stringify(summary)}\n`);
    process.exitCode = 0;
  },
  (e) => {
    const code = e instanceof Stop ? e.code : 1;
    process.stderr.write(`cutover.mjs: ${e instanceof Stop ? e.message : e.stack || e}\n`);
    if (JSON_MODE) {
      const summary = e.summary || {};
      summary.ok = false;
      summary.problem = e.message;
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    }
    process.exitCode = code;
  },
);
