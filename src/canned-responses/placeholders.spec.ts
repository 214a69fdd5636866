import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { render, unknownPlaceholders } from './placeholders';

const values = { 'contact.firstName': 'Amélie', 'contact.lastName': 'Poulain', 'contact.name': 'Amélie Poulain', 'agent.name': 'Sam', 'ticket.number': '42' };

describe('canned response placeholders', () => {
  it('fills every known placeholder, with or without spaces inside the braces, as often as it appears', () => {
    assert.equal(render('Bonjour {{contact.firstName}}, ici {{ agent.name }} (ticket #{{ticket.number}}). {{contact.firstName}} ?', values), 'Bonjour Amélie, ici Sam (ticket #42). Amélie ?');
  });

  it('leaves text without placeholders, single braces and $ patterns alone', () => {
    assert.equal(render('Prix : {total} $1 $& 100 %', values), 'Prix : {total} $1 $& 100 %');
  });

  it('lists unknown placeholders once each, and none for known ones', () => {
    assert.deepEqual(unknownPlaceholders('{{contact.firstname}} {{ order.id }} {{order.id}} {{contact.name}} {{}}'), ['contact.firstname', 'order.id', '']);
    assert.deepEqual(unknownPlaceholders('Bonjour {{contact.firstName}}'), []);
  });
});
