// A local stand-in for the Serverless Devs fc3 component, used by deploy_test.go.
//
// The test places this folder in a temporary HOME where `s` keeps its downloaded components,
// ~/.s/components/devsapp.cn/v3/fc3, beside a .s.lock file: `s` then loads it for `component: fc3`
// and asks no registry. It deploys nothing. Like fc3, each command first asks `s` for the
// credentials of the resource's access alias (an unknown alias fails here, as it does in fc3), then
// it adds what fc3 would have received to the JSON array in the file named by FC3_STUB_RECORD, one
// record per resource in the order `s` called them: the resource, the command and its arguments, the
// alias, its AccessKey ID and account ID (never the secret), the resolved props and the files of the
// code folder as fc3 would zip them.
'use strict';

const fs = require('fs');
const path = require('path');

async function record(command, inputs) {
  const file = process.env.FC3_STUB_RECORD;
  if (!file) {
    throw new Error('fc3 stand-in: FC3_STUB_RECORD names no file to record to');
  }
  const credential = await inputs.getCredential();
  const codeDir = path.resolve(path.dirname(inputs.yaml.path), String(inputs.props.code));
  const rec = {
    resource: inputs.resource.name,
    command,
    args: inputs.args,
    access: inputs.resource.access,
    accessKeyID: credential.AccessKeyID,
    accountID: credential.AccountID,
    props: inputs.props,
    codeDir,
    codeFiles: listFiles(codeDir),
  };
  const records = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : [];
  records.push(rec);
  fs.writeFileSync(file, JSON.stringify(records, null, 2));
  return { recorded: command };
}

// listFiles returns the name, size and modification time of every file in dir (none if it is missing).
function listFiles(dir) {
  if (!fs.existsSync(dir)) {
    return [];
  }
  return fs.readdirSync(dir).map((name) => {
    const st = fs.statSync(path.join(dir, name));
    return { name, size: st.size, modTime: st.mtime.toISOString() };
  });
}

module.exports = class Fc3StandIn {
  constructor({ logger } = {}) {
    this.logger = logger || console;
  }

  async deploy(inputs) {
    return record('deploy', inputs);
  }

  async invoke(inputs) {
    return record('invoke', inputs);
  }
};
