import { describe, expect, it } from 'vitest'
import { ApiError } from '../../lib/api'
import { attachError, kindOf, uploadError } from './attachments'

const file = { name: 'scan.pdf', size: 3 * 1024 * 1024 }

describe('uploadError', () => {
  it('names the size limit and the quota', () => {
    expect(uploadError(new ApiError(413, 'payload_too_large', 'the request body is larger than this endpoint accepts'), file, 'Ops'))
      .toBe('scan.pdf (3.0 MB) is larger than this server accepts for one file.')
    expect(uploadError(new ApiError(409, 'quota_exceeded', "this upload would exceed your organisation's storage quota"), file, 'Ops'))
      .toMatch(/^scan\.pdf was not uploaded: it would take your organisation over its storage quota\./)
  })
  it('says which project refused, and passes other refusals on', () => {
    expect(uploadError(new ApiError(403, 'forbidden', 'no'), file, 'Ops')).toBe('scan.pdf was not uploaded: you may not add files to Ops.')
    expect(uploadError(new ApiError(503, 'unavailable', 'file storage is unavailable'), file, 'Ops')).toBe('scan.pdf was not uploaded: file storage is unavailable')
    expect(uploadError(new ApiError(0, 'network', 'The upload failed: cannot reach the server.'), file, 'Ops')).toBe('The upload failed: cannot reach the server.')
  })
})

describe('attachError', () => {
  it('gives the field error of the attach, and says where the file stayed', () => {
    expect(attachError(new ApiError(422, 'validation_failed', 'invalid', { file: 'a record carries at most 100 files' }), file, 'Ops'))
      .toBe('scan.pdf was uploaded to Ops but not attached: a record carries at most 100 files.')
    expect(attachError(new ApiError(403, 'forbidden', 'no'), file, 'Ops')).toBe('scan.pdf was uploaded to Ops but not attached: you may no longer change this record.')
  })
})

describe('kindOf', () => {
  it('labels by type, then by extension', () => {
    expect(kindOf({ name: 'x', content_type: 'application/pdf' })).toBe('PDF')
    expect(kindOf({ name: 'photo.jpeg', content_type: 'image/jpeg' })).toBe('JPEG')
    expect(kindOf({ name: 'README', content_type: 'text/plain' })).toBe('FILE')
  })
})
