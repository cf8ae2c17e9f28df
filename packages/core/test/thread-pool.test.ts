import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LIBUV_DEFAULT_THREAD_POOL_SIZE, queryThreadsAllowed, threadPoolSize, THREADS_KEPT_FROM_QUERIES } from '../src/thread-pool.js'

describe('threadPoolSize', () => {
  it('reads UV_THREADPOOL_SIZE as libuv does', () => {
    assert.equal(threadPoolSize({}), LIBUV_DEFAULT_THREAD_POOL_SIZE)
    assert.equal(threadPoolSize({ UV_THREADPOOL_SIZE: '' }), LIBUV_DEFAULT_THREAD_POOL_SIZE)
    assert.equal(threadPoolSize({ UV_THREADPOOL_SIZE: 'many' }), LIBUV_DEFAULT_THREAD_POOL_SIZE)
    assert.equal(threadPoolSize({ UV_THREADPOOL_SIZE: '0' }), LIBUV_DEFAULT_THREAD_POOL_SIZE)
    assert.equal(threadPoolSize({ UV_THREADPOOL_SIZE: '16' }), 16)
    assert.equal(threadPoolSize({ UV_THREADPOOL_SIZE: '5000' }), 1024)
  })
})

describe('queryThreadsAllowed', () => {
  it('leaves threads for commits and file access, and at least one query', () => {
    assert.equal(queryThreadsAllowed(4, 16), 4)
    assert.equal(queryThreadsAllowed(4, 4), 4 - THREADS_KEPT_FROM_QUERIES)
    assert.equal(queryThreadsAllowed(8, 6), 6 - THREADS_KEPT_FROM_QUERIES)
    assert.equal(queryThreadsAllowed(4, 2), 1)
    assert.equal(queryThreadsAllowed(1, 1), 1)
  })
})
