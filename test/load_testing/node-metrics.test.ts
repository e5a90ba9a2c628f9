// B6 reads the nodes' lag and shed metrics from their /metrics text (with the node label).
import { expect } from 'chai';
import { metric } from '../../load_testing/node-metrics.js';

describe('load testing: reading a node metric', () => {
  const text = [
    '# HELP beamstack_redirects_shed_total Client-port requests shed with 503',
    '# TYPE beamstack_redirects_shed_total counter',
    'beamstack_redirects_shed_total{node="bench1-38625@127.0.0.1"} 12',
    'beamstack_event_loop_lag_max_seconds{node="bench1-38625@127.0.0.1"} 0.059',
    'beamstack_plain 3',
  ].join('\n');

  it('reads series with the default node label and without labels', () => {
    expect(metric(text, 'beamstack_redirects_shed_total')).to.equal(12);
    expect(metric(text, 'beamstack_event_loop_lag_max_seconds')).to.equal(0.059);
    expect(metric(text, 'beamstack_plain')).to.equal(3);
    expect(metric(text, 'beamstack_missing')).to.equal(undefined);
  });
});
