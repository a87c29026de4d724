import { expect } from 'chai';
import { both, MATCH_ALL, mapLeaves, parseCondition, type Condition } from '../../../src/scim/filter.js';

describe('scim/filter: the typed condition tree', () => {
  const cases: [filter: string, tree: Condition][] = [
    [
      'userName eq "Ada"',
      { kind: 'compare', attribute: 'userName', field: 'userName', keyField: 'userNameKey', caseExact: false, op: 'eq', value: 'Ada' },
    ],
    ['title pr', { kind: 'present', attribute: 'title', field: 'title', type: 'string' }],
    [
      'externalId eq null',
      { kind: 'not', condition: { kind: 'present', attribute: 'externalId', field: 'externalId', type: 'string' } },
    ],
    [
      'not (active eq true)',
      { kind: 'not', condition: { kind: 'compare', attribute: 'active', field: 'active', caseExact: true, op: 'eq', value: true } },
    ],
    ['meta.resourceType eq "User"', { kind: 'all' }],
    ['meta.resourceType eq "Group"', { kind: 'none' }],
  ];
  for (const [filter, tree] of cases) {
    it(`resolves ${filter}`, () => {
      expect(parseCondition(filter, 'User')).to.deep.equal(tree);
    });
  }

  it('keeps membership conditions as leaves on their id field, for the domain to resolve', () => {
    const tree = parseCondition('groups.value eq "g1" or userName sw "a"', 'User');
    expect(tree.kind).to.equal('or');
    const [groups] = (tree as { conditions: Condition[] }).conditions;
    expect(groups).to.include({ kind: 'compare', field: 'groupIds', op: 'eq', value: 'g1' });
  });

  it('mapLeaves replaces the leaves it is given a condition for, and keeps the others', async () => {
    const tree = parseCondition('groups.value eq "g1" and not (groups.value eq "g2")', 'User');
    const mapped = await mapLeaves(tree, async (leaf) =>
      leaf.kind === 'compare' && leaf.field === 'groupIds' ? { kind: 'in', field: '_id', values: [leaf.value] } : undefined,
    );
    expect(mapped).to.deep.equal({
      kind: 'and',
      conditions: [
        { kind: 'in', field: '_id', values: ['g1'] },
        { kind: 'not', condition: { kind: 'in', field: '_id', values: ['g2'] } },
      ],
    });
  });

  it('both drops a match-all side', () => {
    const leaf: Condition = { kind: 'exists', field: 'emails.0' };
    expect(both(MATCH_ALL, leaf)).to.equal(leaf);
    expect(both(leaf, MATCH_ALL)).to.equal(leaf);
    expect(both(leaf, leaf)).to.deep.equal({ kind: 'and', conditions: [leaf, leaf] });
  });
});
