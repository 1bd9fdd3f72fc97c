import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { chooseProject, projectRootOf } from '../src/project';

const files = new Set(['/w/shop/donkeylabs.config.ts', '/w/admin/donkeylabs.config.ts', '/w/shop/node_modules/@donkeylabs/server/donkeylabs.config.ts']);
const isFile = (p: string) => files.has(p);

test('a file belongs to the nearest folder above it with donkeylabs.config.ts', () => {
  assert.equal(projectRootOf('/w/shop/src/server/plugins/orders/index.ts', isFile), '/w/shop');
  assert.equal(projectRootOf('/w/shop/donkeylabs.config.ts', isFile), '/w/shop');
  assert.equal(projectRootOf('/w/admin/src/index.ts', isFile), '/w/admin');
  assert.equal(projectRootOf('/w/docs/index.ts', isFile), undefined);
});

test('a package inside node_modules is not a project', () => {
  assert.equal(projectRootOf('/w/shop/node_modules/@donkeylabs/server/src/index.ts', isFile), undefined);
});

test('commands act on the active file\'s project, else the only project, else ask', () => {
  assert.equal(chooseProject('/w/admin/src/index.ts', ['/w/shop', '/w/admin'], isFile), '/w/admin');
  assert.equal(chooseProject('/w/docs/readme.ts', ['/w/shop'], isFile), '/w/shop');
  assert.equal(chooseProject(undefined, ['/w/shop', '/w/shop'], isFile), '/w/shop');
  assert.equal(chooseProject(undefined, ['/w/shop', '/w/admin'], isFile), undefined);
  assert.equal(chooseProject(undefined, [], isFile), undefined);
});
