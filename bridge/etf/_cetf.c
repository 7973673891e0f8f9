/* _cetf: the C accelerator of the ETF codec (bridge/etf).

Theory of operation
-------------------
decode.py and encode.py are the reference: this module gives the same
results, byte for byte and object for object, and never has an opinion of
its own. It does the common work in C and hands everything else back to
the pure-Python code, in two ways:

 - a whole call goes back to Python (the same function, the same
   arguments) whenever C finds anything it does not decode or encode
   itself: bad input of any kind, an unusual argument, a term nested deeper
   than C recurses. Errors therefore come from Python, with their exact
   message, type and offset; C only has to tell a good input from a bad one
   and build the same value from the good ones. A decoder function that
   returns NULL with no exception set means "let Python do this call".
 - one term goes to Python when only that term is unusual: the decoder
   calls the reader of decode.py's _READERS for FLOAT_EXT and NEW_FUN_EXT,
   and _map when a map key is unhashable (it freezes the keys); the encoder
   calls encode.py's _encode for every value it does not encode itself
   (subclasses, values out of C's range, values that do not encode at all,
   which raises the error Python's encode raises).

Values are built through the classes of terms.py (Pid(...), BitBinary(...),
ImproperList(...), Export(...), atom()), except references, which decode.py
also builds without __init__, slot by slot: here the slots are written
through the offsets of their member descriptors.

Decoding keeps two caches of its own, as decode.py does: raw atom names to
their value, and the exact bytes of a pid or port to the (shared) object.
Both are direct-mapped tables of fixed size, so hostile input cannot make
them grow.

Python's recursion limit
------------------------
Python's codec uses Python frames, this one almost none; where the pure
code would run out of frames, C must not succeed. On 3.11 C charges the
thread's recursion budget with the frames Python would be using: before it
calls back into Python (so a fun nested in funs fails where it fails in
Python), and, when encoding, for each container (four frames, the most the
pure encoder spends per level) and at the start (eight: the deepest leaf).
When the budget is short, C hands the call to Python, which decides.
*/

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030C0000
#define FRAME_BUDGET 1   /* PyThreadState.recursion_remaining counts Python frames */
#else
#define FRAME_BUDGET 0
#endif

enum {
    VERSION = 131, COMPRESSED = 80,
    NEW_FLOAT_EXT = 70, BIT_BINARY_EXT = 77, NEW_PID_EXT = 88, NEW_PORT_EXT = 89,
    NEWER_REFERENCE_EXT = 90, SMALL_INTEGER_EXT = 97, INTEGER_EXT = 98, FLOAT_EXT = 99,
    ATOM_EXT = 100, REFERENCE_EXT = 101, PORT_EXT = 102, PID_EXT = 103,
    SMALL_TUPLE_EXT = 104, LARGE_TUPLE_EXT = 105, NIL_EXT = 106, STRING_EXT = 107,
    LIST_EXT = 108, BINARY_EXT = 109, SMALL_BIG_EXT = 110, LARGE_BIG_EXT = 111,
    NEW_FUN_EXT = 112, EXPORT_EXT = 113, NEW_REFERENCE_EXT = 114, SMALL_ATOM_EXT = 115,
    MAP_EXT = 116, ATOM_UTF8_EXT = 118, SMALL_ATOM_UTF8_EXT = 119, V4_PORT_EXT = 120,
};

/* Deeper than this, C hands the call to Python (which keeps no C stack). */
#define MAX_NESTING 1000
/* Frames of the pure decoder above the term loop (_read_term), per entry
   point: decode -> _read_term; decode_prefix -> _decode_at -> _read_top ->
   _read_term; a compressed term adds _read_compressed and _read_top. */
#define FRAMES_DECODE 2
#define FRAMES_DECODE_PREFIX 4
#define FRAMES_COMPRESSED 5
/* The deepest chain of frames the pure decoder uses below _read_term for a
   term C decodes itself (_read_newer_reference, _reference_head,
   _read_atom_field, the atom reader, _new_atom, atom, and Atom(): calls of
   classes count too), with room to spare: short of it, C hands the call to
   Python, which is never wrong. */
#define FRAMES_DECODE_LEAF 12
/* Encoding: frames per container (the most the pure encoder spends on one
   level: _encode, _encode_other, _encode_list, _encode_items for a
   FrozenList), and at the start, for encode itself and the deepest leaf
   (_encode_other, _identifier, _atom, _encode_atom), with room to spare. */
#define FRAMES_PER_LEVEL 4
#define FRAMES_ENCODE 12
#define INT32_MIN_ (-2147483647L - 1)
#define MAX_V3_PORT_NUMBER ((1L << 28) - 1)

/* The Python side, set by setup(). */
static PyTypeObject *Atom_type, *Pid_type, *Reference_type, *Port_type, *BitBinary_type,
    *ImproperList_type, *Export_type, *Fun_type, *String_type, *FrozenList_type,
    *FrozenMap_type;
static PyObject *atom_func;          /* terms.atom */
static PyObject *py_decode, *py_decode_prefix, *py_readers, *py_map, *py_as_input;
static PyObject *py_encode, *py_encode_term, *py_compress;
static PyObject *zlib_decompressobj;
static PyObject *default_max_depth, *default_max_size;
static PyObject *s_max_depth, *s_max_size, *s_compressed, *s_append, *s_decompress,
    *s_eof, *s_unconsumed_tail, *s_unused_data, *s_join, *empty_bytes, *empty_tuple;
/* Offsets of the slots C reads or writes. */
static Py_ssize_t off_pid_node, off_pid_id, off_pid_serial, off_pid_creation, off_pid_ext,
    off_ref_node, off_ref_creation, off_ref_ids, off_ref_ext,
    off_port_node, off_port_id, off_port_creation, off_port_ext,
    off_bit_data, off_bit_bits, off_il_items, off_il_tail,
    off_export_module, off_export_function, off_export_arity, off_fun_ext, off_fmap_pairs;
static int ready;

#define SLOT(obj, off) (*(PyObject **)((char *)(obj) + (off)))

static inline uint32_t
get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline Py_ssize_t
get_u16(const unsigned char *p)
{
    return (Py_ssize_t)p[0] << 8 | p[1];
}

/* Whether an exception is one to pass on rather than turn into "let Python
   decide" (KeyboardInterrupt, SystemExit: not input's fault). */
static int
must_propagate(void)
{
    PyObject *exc = PyErr_Occurred();
    return exc != NULL && !PyErr_GivenExceptionMatches(exc, PyExc_Exception);
}

/* Frame budget (see the top of the file). */

static int
budget_take(int frames)
{
#if FRAME_BUDGET
    PyThreadState *ts = PyThreadState_Get();
    if (ts->recursion_remaining < frames)
        return -1;
    ts->recursion_remaining -= frames;
#else
    (void)frames;
#endif
    return 0;
}

static void
budget_give(int frames)
{
#if FRAME_BUDGET
    PyThreadState_Get()->recursion_remaining += frames;
#else
    (void)frames;
#endif
}

static int
budget_has(int frames)
{
#if FRAME_BUDGET
    return PyThreadState_Get()->recursion_remaining >= frames;
#else
    (void)frames;
    return 1;
#endif
}

/* Caches: direct-mapped tables from bytes to a value. */

typedef struct {
    uint64_t hash;
    PyObject *key;     /* bytes */
    PyObject *value;
} Slot;

#define ATOM_SLOTS 4096
#define IDENTIFIER_SLOTS 1024
static Slot atom_slots[ATOM_SLOTS];
static Slot identifier_slots[IDENTIFIER_SLOTS];

static inline uint64_t
hash_bytes(const unsigned char *p, Py_ssize_t n, uint64_t seed)
{
    uint64_t h = seed ^ ((uint64_t)n * 0x9E3779B97F4A7C15ULL), w;
    while (n >= 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ULL;
        h ^= h >> 31;
        p += 8;
        n -= 8;
    }
    w = 0;
    memcpy(&w, p, (size_t)n);
    h = (h ^ w) * 0x94D049BB133111EBULL;
    return h ^ (h >> 29);
}

/* The cached value for `key[0:n]` (a new reference), or NULL. `tag` is
   compared with the key's first byte when nonzero. */
static inline PyObject *
cache_get(Slot *slot, uint64_t hash, const unsigned char *s, Py_ssize_t n, int tag)
{
    PyObject *key = slot->key;
    if (key == NULL || slot->hash != hash)
        return NULL;
    const char *k = PyBytes_AS_STRING(key);
    if (tag) {
        if (PyBytes_GET_SIZE(key) != n + 1 || k[0] != (char)tag || memcmp(k + 1, s, (size_t)n))
            return NULL;
    }
    else if (PyBytes_GET_SIZE(key) != n || memcmp(k, s, (size_t)n))
        return NULL;
    Py_INCREF(slot->value);
    return slot->value;
}

/* Replace the slot's entry (steals `key`; the old entry is released last,
   since releasing can run code). */
static void
cache_put(Slot *slot, uint64_t hash, PyObject *key, PyObject *value)
{
    PyObject *old_key = slot->key, *old_value = slot->value;
    Py_INCREF(value);
    slot->hash = hash;
    slot->key = key;
    slot->value = value;
    Py_XDECREF(old_key);
    Py_XDECREF(old_value);
}

/* ------------------------------------------------------------------ */
/* Decoding.                                                           */

typedef struct {
    const unsigned char *buf;
    Py_ssize_t len;
    PyObject *data;   /* bytes, or a read-only memoryview: binaries are slices of it */
    int view;         /* data is a memoryview */
    long max_depth;
    int frames;       /* frames of the pure decoder above its term loop */
} Dec;

static PyObject *dec_term(Dec *d, Py_ssize_t *at, long open);

/* data[start:stop] of a memoryview, as a slice of it would be. */
static PyObject *
view_slice(PyObject *base, Py_ssize_t start, Py_ssize_t stop)
{
    Py_buffer *view = PyMemoryView_GET_BUFFER(base);
    if (view->ndim != 1 || view->strides[0] != 1 || view->suboffsets != NULL)
        return PySequence_GetSlice(base, start, stop);
    /* What memoryview slicing does: a new view of the same managed buffer
       (PyMemoryView_FromObject of a memoryview shares it), moved. A 1-D
       contiguous slice keeps its flags. */
    PyObject *slice = PyMemoryView_FromObject(base);
    if (slice == NULL)
        return NULL;
    Py_buffer *sv = PyMemoryView_GET_BUFFER(slice);
    sv->buf = (char *)sv->buf + start;
    sv->len = stop - start;
    sv->shape[0] = stop - start;
    return slice;
}

static inline PyObject *
dec_slice(Dec *d, Py_ssize_t start, Py_ssize_t stop)
{
    if (!d->view)
        return PyBytes_FromStringAndSize((const char *)d->buf + start, stop - start);
    return view_slice(d->data, start, stop);
}

/* Where the atom whose tag is at `at` ends, or -1 if it is not an atom or
   its header is cut short. */
static inline Py_ssize_t
atom_end(const Dec *d, Py_ssize_t at)
{
    const unsigned char *buf = d->buf;
    if (at + 2 > d->len)
        return -1;
    switch (buf[at]) {
    case SMALL_ATOM_UTF8_EXT: case SMALL_ATOM_EXT:
        return at + 2 + buf[at + 1];
    case ATOM_UTF8_EXT: case ATOM_EXT:
        if (at + 3 > d->len)
            return -1;
        return at + 3 + get_u16(buf + at + 1);
    default:
        return -1;
    }
}

/* The atom whose tag is at `at` (the value _new_atom gives: True, False or
   atom(name)); `field` for the atoms inside identifiers and funs, which are
   Atoms even when named true or false. */
static PyObject *
dec_atom(Dec *d, Py_ssize_t at, Py_ssize_t *end, int field)
{
    Py_ssize_t stop = atom_end(d, at);
    if (stop < 0 || stop > d->len)
        return NULL;
    int tag = d->buf[at];
    int utf8 = tag == SMALL_ATOM_UTF8_EXT || tag == ATOM_UTF8_EXT;
    Py_ssize_t start = (tag == SMALL_ATOM_UTF8_EXT || tag == SMALL_ATOM_EXT) ? at + 2 : at + 3;
    const unsigned char *name = d->buf + start;
    Py_ssize_t n = stop - start;
    int key_tag = utf8 ? 'u' : 'l';
    uint64_t hash = hash_bytes(name, n, (uint64_t)key_tag);
    Slot *slot = &atom_slots[hash & (ATOM_SLOTS - 1)];
    PyObject *value = cache_get(slot, hash, name, n, key_tag);
    if (value == NULL) {
        PyObject *text = utf8 ? PyUnicode_DecodeUTF8((const char *)name, n, NULL)
                              : PyUnicode_DecodeLatin1((const char *)name, n, NULL);
        if (text == NULL)
            return NULL;
        if (PyUnicode_GET_LENGTH(text) > 255) {
            Py_DECREF(text);
            return NULL;
        }
        if (n == 4 && memcmp(name, "true", 4) == 0)
            value = Py_NewRef(Py_True);
        else if (n == 5 && memcmp(name, "false", 5) == 0)
            value = Py_NewRef(Py_False);
        else
            value = PyObject_CallOneArg(atom_func, text);
        Py_DECREF(text);
        if (value == NULL)
            return NULL;
        PyObject *key = PyBytes_FromStringAndSize(NULL, n + 1);
        if (key == NULL) {
            Py_DECREF(value);
            return NULL;
        }
        PyBytes_AS_STRING(key)[0] = (char)key_tag;
        memcpy(PyBytes_AS_STRING(key) + 1, name, (size_t)n);
        cache_put(slot, hash, key, value);
    }
    if (field && (value == Py_True || value == Py_False)) {
        PyObject *named = PyObject_CallFunction(atom_func, "s", value == Py_True ? "true" : "false");
        Py_DECREF(value);
        value = named;
    }
    *end = stop;
    return value;
}

static PyObject *
call_class(PyTypeObject *cls, PyObject *const *args, size_t n)
{
    return PyObject_Vectorcall((PyObject *)cls, args, n, NULL);
}

/* A pid, port or reference: cached by its exact bytes (pids and ports, as
   decode.py does), built through its class otherwise. */

static PyObject *
dec_pid(Dec *d, Py_ssize_t i, Py_ssize_t *at)
{
    const unsigned char *buf = d->buf;
    int tag = buf[i];
    Py_ssize_t node_end = atom_end(d, i + 1);
    if (node_end < 0)
        return NULL;
    Py_ssize_t stop = node_end + (tag == NEW_PID_EXT ? 12 : 9);
    if (stop > d->len)
        return NULL;
    uint64_t hash = 0;
    Slot *slot = NULL;
    if (tag == NEW_PID_EXT) {
        hash = hash_bytes(buf + i, stop - i, 0);
        slot = &identifier_slots[hash & (IDENTIFIER_SLOTS - 1)];
        PyObject *pid = cache_get(slot, hash, buf + i, stop - i, 0);
        if (pid != NULL) {
            *at = stop;
            return pid;
        }
    }
    Py_ssize_t e;
    PyObject *node = dec_atom(d, i + 1, &e, 1);
    if (node == NULL)
        return NULL;
    const unsigned char *f = buf + node_end;
    PyObject *args[5] = {node, PyLong_FromUnsignedLong(get_u32(f)),
                         PyLong_FromUnsignedLong(get_u32(f + 4)),
                         PyLong_FromUnsignedLong(tag == NEW_PID_EXT ? get_u32(f + 8) : f[8]),
                         PyBytes_FromStringAndSize((const char *)buf + i, stop - i)};
    PyObject *pid = NULL;
    if (args[1] && args[2] && args[3] && args[4])
        pid = call_class(Pid_type, args, 5);
    if (pid != NULL && slot != NULL)
        cache_put(slot, hash, Py_NewRef(args[4]), pid);
    for (int k = 0; k < 5; k++)
        Py_XDECREF(args[k]);
    if (pid != NULL)
        *at = stop;
    return pid;
}

static PyObject *
dec_port(Dec *d, Py_ssize_t i, Py_ssize_t *at)
{
    const unsigned char *buf = d->buf;
    int tag = buf[i];
    Py_ssize_t node_end = atom_end(d, i + 1);
    if (node_end < 0)
        return NULL;
    Py_ssize_t stop = node_end + (tag == NEW_PORT_EXT ? 8 : tag == V4_PORT_EXT ? 12 : 5);
    if (stop > d->len)
        return NULL;
    uint64_t hash = hash_bytes(buf + i, stop - i, 0);
    Slot *slot = &identifier_slots[hash & (IDENTIFIER_SLOTS - 1)];
    PyObject *port = cache_get(slot, hash, buf + i, stop - i, 0);
    if (port != NULL) {
        *at = stop;
        return port;
    }
    Py_ssize_t e;
    PyObject *node = dec_atom(d, i + 1, &e, 1);
    if (node == NULL)
        return NULL;
    const unsigned char *f = buf + node_end;
    PyObject *id, *creation;
    if (tag == NEW_PORT_EXT) {
        id = PyLong_FromUnsignedLong(get_u32(f));
        creation = PyLong_FromUnsignedLong(get_u32(f + 4));
    }
    else if (tag == V4_PORT_EXT) {
        id = PyLong_FromUnsignedLongLong((uint64_t)get_u32(f) << 32 | get_u32(f + 4));
        creation = PyLong_FromUnsignedLong(get_u32(f + 8));
    }
    else {
        id = PyLong_FromUnsignedLong(get_u32(f));
        creation = PyLong_FromUnsignedLong(f[4]);
    }
    PyObject *args[4] = {node, id, creation,
                         PyBytes_FromStringAndSize((const char *)buf + i, stop - i)};
    if (id && creation && args[3])
        port = call_class(Port_type, args, 4);
    if (port != NULL)
        cache_put(slot, hash, Py_NewRef(args[3]), port);
    for (int k = 0; k < 4; k++)
        Py_XDECREF(args[k]);
    if (port != NULL)
        *at = stop;
    return port;
}

/* A Reference without __init__, as decode.py's _reference builds it. */
static PyObject *
new_reference(PyObject *node, PyObject *creation, PyObject *ids, PyObject *ext)
{
    PyObject *ref = Reference_type->tp_new(Reference_type, empty_tuple, NULL);
    if (ref == NULL)
        return NULL;
    SLOT(ref, off_ref_node) = Py_NewRef(node);
    SLOT(ref, off_ref_creation) = Py_NewRef(creation);
    SLOT(ref, off_ref_ids) = Py_NewRef(ids);
    SLOT(ref, off_ref_ext) = Py_NewRef(ext);
    return ref;
}

static PyObject *
dec_reference(Dec *d, Py_ssize_t i, Py_ssize_t *at)
{
    const unsigned char *buf = d->buf;
    int tag = buf[i];
    Py_ssize_t words = 1, node_at = i + 1;
    if (tag != REFERENCE_EXT) {
        if (i + 3 > d->len)
            return NULL;
        words = get_u16(buf + i + 1);
        node_at = i + 3;
        if (words < 1 || words > 5)
            return NULL;
    }
    Py_ssize_t node_end = atom_end(d, node_at);
    if (node_end < 0)
        return NULL;
    /* NEWER: creation u32, ids; NEW: creation u8, ids; REFERENCE: id, creation u8. */
    Py_ssize_t creation_size = tag == NEWER_REFERENCE_EXT ? 4 : 1;
    Py_ssize_t stop = node_end + creation_size + 4 * words;
    if (stop > d->len)
        return NULL;
    Py_ssize_t e;
    PyObject *node = dec_atom(d, node_at, &e, 1);
    if (node == NULL)
        return NULL;
    const unsigned char *f = buf + node_end;
    PyObject *creation = NULL, *ids = PyTuple_New(words), *ext = NULL, *ref = NULL;
    if (ids == NULL)
        goto done;
    const unsigned char *id_at = f + (tag == REFERENCE_EXT ? 0 : creation_size);
    for (Py_ssize_t k = 0; k < words; k++) {
        PyObject *id = PyLong_FromUnsignedLong(get_u32(id_at + 4 * k));
        if (id == NULL)
            goto done;
        PyTuple_SET_ITEM(ids, k, id);
    }
    if (tag == NEWER_REFERENCE_EXT)
        creation = PyLong_FromUnsignedLong(get_u32(f));
    else
        creation = PyLong_FromUnsignedLong(tag == REFERENCE_EXT ? f[4] : f[0]);
    ext = PyBytes_FromStringAndSize((const char *)buf + i, stop - i);
    if (creation != NULL && ext != NULL)
        ref = new_reference(node, creation, ids, ext);
done:
    Py_DECREF(node);
    Py_XDECREF(creation);
    Py_XDECREF(ids);
    Py_XDECREF(ext);
    if (ref != NULL)
        *at = stop;
    return ref;
}

static PyObject *
dec_export(Dec *d, Py_ssize_t i, Py_ssize_t *at)
{
    Py_ssize_t e1, e2;
    PyObject *module = dec_atom(d, i + 1, &e1, 1);
    if (module == NULL)
        return NULL;
    PyObject *function = dec_atom(d, e1, &e2, 1);
    PyObject *export = NULL;
    if (function != NULL && e2 + 2 <= d->len && d->buf[e2] == SMALL_INTEGER_EXT) {
        PyObject *args[3] = {module, function, PyLong_FromLong(d->buf[e2 + 1])};
        if (args[2] != NULL)
            export = call_class(Export_type, args, 3);
        Py_XDECREF(args[2]);
    }
    Py_DECREF(module);
    Py_XDECREF(function);
    if (export != NULL)
        *at = e2 + 2;
    return export;
}

/* The term at `at` read by decode.py's reader of its tag, with the frames
   the pure decoder would have above that reader taken from the budget. */
static PyObject *
dec_python(Dec *d, Py_ssize_t *at, long open)
{
    Py_ssize_t i = *at;
    PyObject *reader = PyList_GetItem(py_readers, d->buf[i]);
    if (reader == NULL || budget_take(d->frames) < 0)
        return NULL;
    Py_INCREF(reader);
    PyObject *result = PyObject_CallFunction(reader, "Onl", d->data, i + 1, d->max_depth - open);
    Py_DECREF(reader);
    budget_give(d->frames);
    if (result == NULL)
        return NULL;
    PyObject *term = NULL;
    if (PyTuple_CheckExact(result) && PyTuple_GET_SIZE(result) == 2) {
        Py_ssize_t end = PyLong_AsSsize_t(PyTuple_GET_ITEM(result, 1));
        if (end > i && end <= d->len) {
            term = Py_NewRef(PyTuple_GET_ITEM(result, 0));
            *at = end;
        }
    }
    Py_DECREF(result);
    return term;
}

/* A LIST_EXT's elements and tail as a value (decode.py's _list); steals both. */
static PyObject *
make_list(PyObject *items, PyObject *tail)
{
    PyObject *result = NULL;
    Py_ssize_t n = PyList_GET_SIZE(items);
    if (n == 0) {
        Py_DECREF(items);
        return tail;
    }
    if (PyList_CheckExact(tail)) {
        if (PyList_GET_SIZE(tail) == 0 || PyList_SetSlice(items, n, n, tail) == 0)
            result = Py_NewRef(items);
    }
    else if (Py_IS_TYPE(tail, ImproperList_type)) {
        PyObject *tail_items = SLOT(tail, off_il_items), *tail_tail = SLOT(tail, off_il_tail);
        if (tail_items != NULL && tail_tail != NULL) {
            PyObject *joined = PySequence_Concat(items, tail_items);
            if (joined != NULL) {
                PyObject *args[2] = {joined, tail_tail};
                result = call_class(ImproperList_type, args, 2);
                Py_DECREF(joined);
            }
        }
    }
    else {
        PyObject *args[2] = {items, tail};
        result = call_class(ImproperList_type, args, 2);
    }
    Py_DECREF(items);
    Py_DECREF(tail);
    return result;
}

/* A MAP_EXT's 2n keys and values as a dict (decode.py's _map, which C calls
   when a key cannot be hashed: it freezes the keys). */
static PyObject *
make_map(Dec *d, Py_ssize_t tag_at, PyObject **items, Py_ssize_t n)
{
    PyObject *map = PyDict_New();
    if (map == NULL)
        return NULL;
    for (Py_ssize_t k = 0; k < n; k++) {
        if (PyDict_SetItem(map, items[2 * k], items[2 * k + 1]) < 0) {
            Py_DECREF(map);
            if (!PyErr_ExceptionMatches(PyExc_TypeError))
                return NULL;
            PyErr_Clear();
            PyObject *list = PyList_New(2 * n);
            if (list == NULL)
                return NULL;
            for (Py_ssize_t j = 0; j < 2 * n; j++)
                PyList_SET_ITEM(list, j, Py_NewRef(items[j]));
            if (budget_take(d->frames) < 0) {
                Py_DECREF(list);
                return NULL;
            }
            map = PyObject_CallFunction(py_map, "OnO", d->data, tag_at, list);
            budget_give(d->frames);
            Py_DECREF(list);
            return map;
        }
    }
    if (PyDict_GET_SIZE(map) != n) {   /* keys equal in Python: decode.py refuses them */
        Py_DECREF(map);
        return NULL;
    }
    return map;
}

static PyObject *
dec_container(Dec *d, Py_ssize_t *at, long open, int tag, Py_ssize_t n, Py_ssize_t first)
{
    if (open >= d->max_depth || open >= MAX_NESTING)
        return NULL;
    Py_ssize_t p = first;
    if (tag == SMALL_TUPLE_EXT || tag == LARGE_TUPLE_EXT) {
        PyObject *tuple = PyTuple_New(n);
        if (tuple == NULL)
            return NULL;
        for (Py_ssize_t k = 0; k < n; k++) {
            PyObject *item = dec_term(d, &p, open + 1);
            if (item == NULL) {
                Py_DECREF(tuple);
                return NULL;
            }
            PyTuple_SET_ITEM(tuple, k, item);
        }
        *at = p;
        return tuple;
    }
    if (tag == LIST_EXT) {
        PyObject *items = PyList_New(n);
        if (items == NULL)
            return NULL;
        for (Py_ssize_t k = 0; k < n; k++) {
            PyObject *item = dec_term(d, &p, open + 1);
            if (item == NULL) {
                Py_DECREF(items);
                return NULL;
            }
            PyList_SET_ITEM(items, k, item);
        }
        PyObject *tail = dec_term(d, &p, open + 1);
        if (tail == NULL) {
            Py_DECREF(items);
            return NULL;
        }
        *at = p;
        return make_list(items, tail);
    }
    /* MAP_EXT: n pairs. */
    PyObject *small[16], **items = small, *map = NULL;
    Py_ssize_t count = 0;
    if (2 * n > 16 && (items = PyMem_Malloc(sizeof(PyObject *) * (size_t)(2 * n))) == NULL)
        return PyErr_NoMemory();
    for (; count < 2 * n; count++) {
        items[count] = dec_term(d, &p, open + 1);
        if (items[count] == NULL)
            goto done;
    }
    map = make_map(d, *at, items, n);
    if (map != NULL)
        *at = p;
done:
    for (Py_ssize_t k = 0; k < count; k++)
        Py_DECREF(items[k]);
    if (items != small)
        PyMem_Free(items);
    return map;
}

/* The term whose tag is at *at; on success *at is moved past it. `open`
   is the number of containers around it (decode.py's len(open_around)). */
static PyObject *
dec_term(Dec *d, Py_ssize_t *at, long open)
{
    const unsigned char *buf = d->buf;
    Py_ssize_t i = *at, len = d->len, n, stop;
    if (i >= len)
        return NULL;
    int tag = buf[i];
    switch (tag) {
    case SMALL_ATOM_UTF8_EXT: case ATOM_UTF8_EXT: case SMALL_ATOM_EXT: case ATOM_EXT:
        return dec_atom(d, i, at, 0);
    case SMALL_INTEGER_EXT:
        if (i + 2 > len)
            return NULL;
        *at = i + 2;
        return PyLong_FromLong(buf[i + 1]);
    case INTEGER_EXT:
        if (i + 5 > len)
            return NULL;
        *at = i + 5;
        return PyLong_FromLong((long)(int32_t)get_u32(buf + i + 1));
    case SMALL_TUPLE_EXT:
        if (i + 2 > len)
            return NULL;
        if (buf[i + 1] == 0) {
            *at = i + 2;
            return PyTuple_New(0);
        }
        return dec_container(d, at, open, tag, buf[i + 1], i + 2);
    case LARGE_TUPLE_EXT: case LIST_EXT: case MAP_EXT: {
        if (i + 5 > len)
            return NULL;
        n = get_u32(buf + i + 1);
        /* Each term takes a byte at least; a list's tail is one more. */
        Py_ssize_t least = tag == LIST_EXT ? n + 1 : tag == MAP_EXT ? 2 * n : n;
        if (least > len - i - 5)
            return NULL;
        if (least == 0) {
            *at = i + 5;
            return tag == MAP_EXT ? PyDict_New() : PyTuple_New(0);
        }
        return dec_container(d, at, open, tag, n, i + 5);
    }
    case NIL_EXT:
        *at = i + 1;
        return PyList_New(0);
    case BINARY_EXT:
        if (i + 5 > len)
            return NULL;
        stop = i + 5 + (Py_ssize_t)get_u32(buf + i + 1);
        if (stop > len)
            return NULL;
        *at = stop;
        return dec_slice(d, i + 5, stop);
    case NEW_PID_EXT: case PID_EXT:
        return dec_pid(d, i, at);
    case NEW_PORT_EXT: case V4_PORT_EXT: case PORT_EXT:
        return dec_port(d, i, at);
    case NEWER_REFERENCE_EXT: case NEW_REFERENCE_EXT: case REFERENCE_EXT:
        return dec_reference(d, i, at);
    case NEW_FLOAT_EXT: {
        if (i + 9 > len)
            return NULL;
        double x = PyFloat_Unpack8((const char *)buf + i + 1, 0);
        if ((x == -1.0 && PyErr_Occurred()) || !isfinite(x))
            return NULL;
        *at = i + 9;
        return PyFloat_FromDouble(x);
    }
    case STRING_EXT: {
        if (i + 3 > len)
            return NULL;
        n = get_u16(buf + i + 1);
        if (i + 3 + n > len)
            return NULL;
        PyObject *list = PyList_New(n);
        if (list == NULL)
            return NULL;
        for (Py_ssize_t k = 0; k < n; k++)
            PyList_SET_ITEM(list, k, PyLong_FromLong(buf[i + 3 + k]));   /* small ints: shared */
        *at = i + 3 + n;
        return list;
    }
    case SMALL_BIG_EXT: case LARGE_BIG_EXT: {
        Py_ssize_t head = tag == SMALL_BIG_EXT ? 2 : 5;
        if (i + head > len)
            return NULL;
        n = tag == SMALL_BIG_EXT ? buf[i + 1] : (Py_ssize_t)get_u32(buf + i + 1);
        stop = i + head + 1 + n;
        if (stop > len)
            return NULL;
        PyObject *value = _PyLong_FromByteArray(buf + i + head + 1, (size_t)n, 1, 0);
        if (value != NULL && buf[i + head]) {
            PyObject *negative = PyNumber_Negative(value);
            Py_DECREF(value);
            value = negative;
        }
        if (value != NULL)
            *at = stop;
        return value;
    }
    case BIT_BINARY_EXT: {
        if (i + 6 > len)
            return NULL;
        n = get_u32(buf + i + 1);
        int bits = buf[i + 5];
        if ((bits == 0) != (n == 0) || bits > 8)
            return NULL;
        stop = i + 6 + n;
        if (stop > len)
            return NULL;
        if (bits == 8 || n == 0) {
            *at = stop;
            return dec_slice(d, i + 6, stop);
        }
        /* The unused low bits of the last byte are cleared, as by decode.py. */
        /* A fresh object (from NULL): a one-byte bytes made from a string
           is a shared singleton, not to be written to. */
        PyObject *data = PyBytes_FromStringAndSize(NULL, n);
        if (data == NULL)
            return NULL;
        memcpy(PyBytes_AS_STRING(data), buf + i + 6, (size_t)n);
        PyBytes_AS_STRING(data)[n - 1] &= (char)((0xFF00 >> bits) & 0xFF);
        PyObject *args[2] = {data, PyLong_FromLong(bits)};
        PyObject *value = args[1] ? call_class(BitBinary_type, args, 2) : NULL;
        Py_DECREF(data);
        Py_XDECREF(args[1]);
        if (value != NULL)
            *at = stop;
        return value;
    }
    case EXPORT_EXT:
        return dec_export(d, i, at);
    case FLOAT_EXT: case NEW_FUN_EXT:
        return dec_python(d, at, open);
    default:   /* not a term here: decode.py says why */
        return NULL;
    }
}

/* The input as decode.py's _as_input makes it (a new reference), setting
   d->buf, d->len and d->view. */
static PyObject *
as_input(Dec *d, PyObject *data)
{
    PyObject *input;
    if (PyBytes_CheckExact(data))
        input = Py_NewRef(data);
    else if (PyByteArray_CheckExact(data))
        input = PyBytes_FromStringAndSize(PyByteArray_AS_STRING(data), PyByteArray_GET_SIZE(data));
    else {
        PyMemoryViewObject *mv = (PyMemoryViewObject *)data;
        Py_buffer *view = &mv->view;
        if (PyMemoryView_Check(data) && !(mv->flags & _Py_MEMORYVIEW_RELEASED)
                && !(mv->mbuf->flags & _Py_MANAGED_BUFFER_RELEASED)
                && (mv->flags & _Py_MEMORYVIEW_C) && view->ndim == 1
                && view->format != NULL && strcmp(view->format, "B") == 0) {
            if (view->readonly)
                input = Py_NewRef(data);
            else if ((input = PyMemoryView_FromObject(data)) != NULL)   /* data.toreadonly() */
                PyMemoryView_GET_BUFFER(input)->readonly = 1;
        }
        else
            input = PyObject_CallOneArg(py_as_input, data);
    }
    if (input == NULL)
        return NULL;
    if (PyBytes_CheckExact(input)) {
        d->buf = (const unsigned char *)PyBytes_AS_STRING(input);
        d->len = PyBytes_GET_SIZE(input);
        d->view = 0;
    }
    else if (PyMemoryView_Check(input)) {
        d->buf = PyMemoryView_GET_BUFFER(input)->buf;
        d->len = PyMemoryView_GET_BUFFER(input)->len;
        d->view = 1;
    }
    else {
        Py_DECREF(input);
        PyErr_SetString(PyExc_SystemError, "_as_input gave neither bytes nor a memoryview");
        return NULL;
    }
    d->data = input;
    return input;
}

/* decode.py's _read_compressed: the term compressed at `tag_at`, with zlib
   driven the same way, and its end in the input (*end). */
static PyObject *
dec_compressed(Dec *d, Py_ssize_t tag_at, PyObject *max_size, Py_ssize_t *end)
{
    if (tag_at + 5 > d->len || !PyLong_CheckExact(max_size))
        return NULL;
    uint32_t size = get_u32(d->buf + tag_at + 1);
    int overflow;
    long long limit = PyLong_AsLongLongAndOverflow(max_size, &overflow);
    if (limit == -1 && PyErr_Occurred())
        return NULL;
    if (size == 0 || (overflow == 0 && (long long)size > limit) || overflow < 0)
        return NULL;
    PyObject *inflater = NULL, *whole = NULL, *stream = NULL, *raw = NULL, *more = NULL,
        *inner_data = NULL, *term = NULL, *unused = NULL;
    inflater = PyObject_CallNoArgs(zlib_decompressobj);
    if (inflater == NULL)
        goto done;
    whole = PyMemoryView_FromObject(d->data);
    if (whole == NULL)
        goto done;
    stream = PySequence_GetSlice(whole, tag_at + 5, d->len);
    if (stream == NULL)
        goto done;
    PyObject *size_obj = PyLong_FromUnsignedLong(size);
    if (size_obj == NULL)
        goto done;
    raw = PyObject_CallMethodObjArgs(inflater, s_decompress, stream, size_obj, NULL);
    Py_DECREF(size_obj);
    if (raw == NULL || !PyBytes_CheckExact(raw))
        goto done;
    PyObject *eof = PyObject_GetAttr(inflater, s_eof);
    if (eof == NULL)
        goto done;
    int at_eof = PyObject_IsTrue(eof);
    Py_DECREF(eof);
    if (at_eof < 0)
        goto done;
    if (!at_eof) {
        PyObject *tail = PyObject_GetAttr(inflater, s_unconsumed_tail);
        if (tail == NULL)
            goto done;
        PyObject *one = PyLong_FromLong(1);
        more = PyObject_CallMethodObjArgs(inflater, s_decompress, tail, one, NULL);
        Py_DECREF(tail);
        Py_DECREF(one);
        if (more == NULL || !PyBytes_CheckExact(more) || PyBytes_GET_SIZE(more) != 0)
            goto done;
        if ((eof = PyObject_GetAttr(inflater, s_eof)) == NULL)
            goto done;
        at_eof = PyObject_IsTrue(eof);
        Py_DECREF(eof);
        if (at_eof != 1)
            goto done;
    }
    if (PyBytes_GET_SIZE(raw) != (Py_ssize_t)size)
        goto done;
    inner_data = d->view ? PyMemoryView_FromObject(raw) : Py_NewRef(raw);
    if (inner_data == NULL)
        goto done;
    Dec inner = {(const unsigned char *)PyBytes_AS_STRING(raw), (Py_ssize_t)size, inner_data,
                 d->view, d->max_depth, FRAMES_COMPRESSED};
    Py_ssize_t inner_end = 0;
    term = dec_term(&inner, &inner_end, 0);
    if (term != NULL && inner_end != (Py_ssize_t)size)
        Py_CLEAR(term);
    if (term == NULL)
        goto done;
    unused = PyObject_GetAttr(inflater, s_unused_data);
    if (unused == NULL || !PyBytes_CheckExact(unused))
        Py_CLEAR(term);
    else
        *end = d->len - PyBytes_GET_SIZE(unused);
done:
    Py_XDECREF(inflater);
    Py_XDECREF(stream);
    Py_XDECREF(whole);
    Py_XDECREF(raw);
    Py_XDECREF(more);
    Py_XDECREF(inner_data);
    Py_XDECREF(unused);
    return term;
}

/* keyword arguments: names[k] is matched against kwnames; any other name
   (or a repeat) returns -1, which hands the call to Python. */
static int
parse_keywords(PyObject *kwnames, PyObject *const *values, PyObject **names, PyObject ***outs,
               int count)
{
    if (kwnames == NULL)
        return 0;
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(kwnames); k++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, k);
        int found = 0;
        for (int j = 0; j < count && !found; j++) {
            if (name == names[j] || PyUnicode_Compare(name, names[j]) == 0) {
                *outs[j] = values[k];
                found = 1;
            }
        }
        if (PyErr_Occurred())
            return -1;
        if (!found)
            return -1;
    }
    return 0;
}

/* decode and decode_prefix. Returns the term, with *end set, or NULL: with
   an exception to raise, or none to hand the call to Python. */
static PyObject *
decode_at(PyObject *data, PyObject *offset_obj, PyObject *max_depth_obj, PyObject *max_size,
          int frames, Py_ssize_t *end, Py_ssize_t *input_len)
{
    Dec d;
    if (!PyLong_CheckExact(max_depth_obj))
        return NULL;
    int overflow;
    d.max_depth = PyLong_AsLongAndOverflow(max_depth_obj, &overflow);
    if (overflow || d.max_depth > INT32_MAX || d.max_depth < INT32_MIN_)
        return NULL;
    d.frames = frames;
    PyObject *input = as_input(&d, data);
    if (input == NULL)
        return NULL;
    PyObject *term = NULL;
    Py_ssize_t offset = 0;
    *input_len = d.len;
    if (offset_obj != NULL) {
        if (!PyLong_CheckExact(offset_obj)
                || ((offset = PyLong_AsSsize_t(offset_obj)) == -1 && PyErr_Occurred())) {
            PyErr_Clear();
            goto done;
        }
    }
    if (offset < 0 || offset + 1 >= d.len || d.buf[offset] != VERSION)
        goto done;
    /* Enough frames for the deepest chain the pure decoder would use. */
    if (d.buf[offset + 1] == COMPRESSED) {
        if (budget_has(FRAMES_COMPRESSED + FRAMES_DECODE_LEAF))
            term = dec_compressed(&d, offset + 1, max_size, end);
    }
    else if (!budget_has(frames + FRAMES_DECODE_LEAF))
        goto done;
    else {
        *end = offset + 1;
        term = dec_term(&d, end, 0);
    }
done:
    Py_DECREF(input);
    return term;
}

/* The whole call made to the pure-Python function instead. */
static PyObject *
handed_to_python(PyObject *function, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (PyErr_Occurred()) {
        if (must_propagate())
            return NULL;
        PyErr_Clear();
    }
#if FRAME_BUDGET
    /* Entering Python from C costs a frame more of the budget than a call
       from Python does: give it back, so that the function runs with the
       frames it would have had if called directly. */
    PyThreadState *ts = PyThreadState_Get();
    ts->recursion_remaining++;
    PyObject *result = PyObject_Vectorcall(function, args, (size_t)nargs, kwnames);
    ts->recursion_remaining--;
    return result;
#else
    return PyObject_Vectorcall(function, args, (size_t)nargs, kwnames);
#endif
}

static int
check_ready(void)
{
    if (!ready)
        PyErr_SetString(PyExc_RuntimeError, "bridge.etf._cetf.setup() has not been called");
    return ready;
}

PyDoc_STRVAR(decode_doc,
"decode($module, data, /, *, max_depth=300, max_size=134217728)\n--\n\n"
"Decode `data`, which must hold exactly one term (version byte first).\n\n"
"The C implementation of bridge.etf.decode.decode, with the same results\n"
"and errors.");

static PyObject *
c_decode(PyObject *module, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (!check_ready())
        return NULL;
    PyObject *max_depth = default_max_depth, *max_size = default_max_size;
    PyObject *names[2] = {s_max_depth, s_max_size}, **outs[2] = {&max_depth, &max_size};
    if (nargs == 1 && parse_keywords(kwnames, args + nargs, names, outs, 2) == 0) {
        Py_ssize_t end = 0, len = 0;
        PyObject *term = decode_at(args[0], NULL, max_depth, max_size, FRAMES_DECODE, &end, &len);
        if (term != NULL) {
            if (end == len)
                return term;
            Py_DECREF(term);   /* trailing bytes: decode.py says where */
        }
    }
    return handed_to_python(py_decode, args, nargs, kwnames);
}

PyDoc_STRVAR(decode_prefix_doc,
"decode_prefix($module, data, offset=0, /, *, max_depth=300, max_size=134217728)\n--\n\n"
"Decode the one term that starts at `offset` (with its version byte) and\n"
"return `(term, end)`, `end` being the offset just after it.\n\n"
"The C implementation of bridge.etf.decode.decode_prefix.");

static PyObject *
c_decode_prefix(PyObject *module, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (!check_ready())
        return NULL;
    PyObject *max_depth = default_max_depth, *max_size = default_max_size;
    PyObject *names[2] = {s_max_depth, s_max_size}, **outs[2] = {&max_depth, &max_size};
    if ((nargs == 1 || nargs == 2) && parse_keywords(kwnames, args + nargs, names, outs, 2) == 0) {
        Py_ssize_t end = 0, len = 0;
        PyObject *term = decode_at(args[0], nargs == 2 ? args[1] : NULL, max_depth, max_size,
                                   FRAMES_DECODE_PREFIX, &end, &len);
        if (term != NULL)
            return Py_BuildValue("(Nn)", term, end);
    }
    return handed_to_python(py_decode_prefix, args, nargs, kwnames);
}

/* ------------------------------------------------------------------ */
/* Encoding.                                                           */

typedef struct {
    char *p;              /* stack, or the contents of `bytes` */
    Py_ssize_t len, cap;
    PyObject *bytes;      /* the result being grown, once the stack is too small */
    int level;            /* containers open around the term being written */
    char stack[512];
} Out;

enum { ENC_OK = 0, ENC_ERROR = -1, ENC_PYTHON = -2 };

static int
out_grow(Out *o, Py_ssize_t extra)
{
    if (extra > PY_SSIZE_T_MAX / 2 - o->len) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t need = o->len + extra;
    Py_ssize_t cap = o->cap + (o->cap >> 1), want = need + (need >> 4) + 64;
    if (cap < want)
        cap = want;
    if (o->bytes == NULL) {
        o->bytes = PyBytes_FromStringAndSize(NULL, cap);
        if (o->bytes == NULL)
            return -1;
        memcpy(PyBytes_AS_STRING(o->bytes), o->stack, (size_t)o->len);
    }
    else if (_PyBytes_Resize(&o->bytes, cap) < 0)
        return -1;
    o->p = PyBytes_AS_STRING(o->bytes);
    o->cap = cap;
    return 0;
}

#define RESERVE(o, n) \
    do { if ((o)->len + (Py_ssize_t)(n) > (o)->cap && out_grow((o), (n)) < 0) return ENC_ERROR; } while (0)

static inline void
put_u8(Out *o, unsigned v)
{
    o->p[o->len++] = (char)v;
}

static inline void
put_u16(Out *o, Py_ssize_t v)
{
    o->p[o->len++] = (char)(v >> 8);
    o->p[o->len++] = (char)v;
}

static inline void
put_u32(Out *o, uint32_t v)
{
    unsigned char *p = (unsigned char *)o->p + o->len;
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
    o->len += 4;
}

static inline void
put_raw(Out *o, const void *s, Py_ssize_t n)
{
    memcpy(o->p + o->len, s, (size_t)n);
    o->len += n;
}

static int enc_term(Out *o, PyObject *term);

/* The term encoded by encode.py's _encode, with the frames of the budget
   taken so far standing for the pure encoder's. */
static int
enc_python(Out *o, PyObject *term)
{
    PyObject *parts = PyList_New(0);
    if (parts == NULL)
        return ENC_ERROR;
    PyObject *append = PyObject_GetAttr(parts, s_append), *joined = NULL;
    int status = ENC_ERROR;
    if (append == NULL)
        goto done;
    PyObject *result = PyObject_CallFunctionObjArgs(py_encode_term, term, append, NULL);
    if (result == NULL) {
        if (PyErr_ExceptionMatches(PyExc_RecursionError)) {
            PyErr_Clear();
            status = ENC_PYTHON;
        }
        goto done;
    }
    Py_DECREF(result);
    joined = PyObject_CallMethodOneArg(empty_bytes, s_join, parts);
    if (joined == NULL) {
        /* encode.py joins once, at the end, after any error a later term
           raises: let it do the whole call. */
        if (!must_propagate()) {
            PyErr_Clear();
            status = ENC_PYTHON;
        }
        goto done;
    }
    Py_ssize_t n = PyBytes_GET_SIZE(joined);
    if (o->len + n > o->cap && out_grow(o, n) < 0)
        goto done;
    put_raw(o, PyBytes_AS_STRING(joined), n);
    status = ENC_OK;
done:
    Py_XDECREF(append);
    Py_XDECREF(joined);
    Py_DECREF(parts);
    return status;
}

/* The encoding of an atom named `name` (a str), or 1 when C does not write
   it (more than 255 characters, not valid Unicode): encode.py's _encode_atom. */
static int
enc_atom_name(Out *o, PyObject *name)
{
    Py_ssize_t chars = PyUnicode_GET_LENGTH(name), n;
    const char *s;
    if (chars > 255)
        return 1;
    if (PyUnicode_IS_ASCII(name)) {
        s = (const char *)PyUnicode_DATA(name);
        n = chars;
    }
    else if ((s = PyUnicode_AsUTF8AndSize(name, &n)) == NULL) {
        if (must_propagate())
            return ENC_ERROR;
        PyErr_Clear();
        return 1;
    }
    RESERVE(o, 3 + n);
    if (n < 256) {
        put_u8(o, SMALL_ATOM_UTF8_EXT);
        put_u8(o, (unsigned)n);
    }
    else {
        put_u8(o, ATOM_UTF8_EXT);
        put_u16(o, n);
    }
    put_raw(o, s, n);
    return ENC_OK;
}

static int
is_name(PyObject *name)
{
    return name != NULL && (Py_IS_TYPE(name, Atom_type) || PyUnicode_CheckExact(name));
}

static int
enc_ascii_atom(Out *o, const char *name)
{
    Py_ssize_t n = (Py_ssize_t)strlen(name);
    RESERVE(o, 2 + n);
    put_u8(o, SMALL_ATOM_UTF8_EXT);
    put_u8(o, (unsigned)n);
    put_raw(o, name, n);
    return ENC_OK;
}

/* An int as encode.py's _integer writes it; 1 when C does not. */
static int
enc_int(Out *o, PyObject *value)
{
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (v == -1 && PyErr_Occurred())
        return ENC_ERROR;
    if (!overflow) {
        if (v >= 0 && v < 256) {
            RESERVE(o, 2);
            put_u8(o, SMALL_INTEGER_EXT);
            put_u8(o, (unsigned)v);
            return ENC_OK;
        }
        if (v >= INT32_MIN_ && v <= INT32_MAX) {
            RESERVE(o, 5);
            put_u8(o, INTEGER_EXT);
            put_u32(o, (uint32_t)(int32_t)v);
            return ENC_OK;
        }
        uint64_t m = v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
        unsigned size = 0;
        unsigned char digits[8];
        while (m) {
            digits[size++] = (unsigned char)m;
            m >>= 8;
        }
        RESERVE(o, 3 + size);
        put_u8(o, SMALL_BIG_EXT);
        put_u8(o, size);
        put_u8(o, v < 0);
        put_raw(o, digits, size);
        return ENC_OK;
    }
    PyObject *magnitude = PyNumber_Absolute(value);
    if (magnitude == NULL)
        return ENC_ERROR;
    size_t bits = _PyLong_NumBits(magnitude);
    size_t size = (bits + 7) >> 3;
    if (bits == (size_t)-1 || size > 0xFFFFFFFFu) {
        Py_DECREF(magnitude);
        PyErr_Clear();
        return 1;
    }
    int status = ENC_OK;
    if (o->len + (Py_ssize_t)size + 6 > o->cap && out_grow(o, (Py_ssize_t)size + 6) < 0)
        status = ENC_ERROR;
    else {
        if (size < 256) {
            put_u8(o, SMALL_BIG_EXT);
            put_u8(o, (unsigned)size);
        }
        else {
            put_u8(o, LARGE_BIG_EXT);
            put_u32(o, (uint32_t)size);
        }
        put_u8(o, overflow < 0);
        if (_PyLong_AsByteArray((PyLongObject *)magnitude, (unsigned char *)o->p + o->len,
                                size, 1, 0) < 0)
            status = ENC_ERROR;
        o->len += (Py_ssize_t)size;
    }
    Py_DECREF(magnitude);
    return status;
}

static int
enc_binary(Out *o, const char *s, Py_ssize_t n)
{
    RESERVE(o, 5 + n);
    put_u8(o, BINARY_EXT);
    put_u32(o, (uint32_t)n);
    put_raw(o, s, n);
    return ENC_OK;
}

/* Take the frames of one more level of containers. */
static int
enter(Out *o)
{
    if (o->level >= MAX_NESTING || budget_take(FRAMES_PER_LEVEL) < 0)
        return -1;
    o->level++;
    return 0;
}

static void
leave(Out *o)
{
    o->level--;
    budget_give(FRAMES_PER_LEVEL);
}

static int
enc_items(Out *o, PyObject *const *items, Py_ssize_t n)
{
    for (Py_ssize_t k = 0; k < n; k++) {
        int status = enc_term(o, items[k]);
        if (status != ENC_OK)
            return status;
    }
    return ENC_OK;
}

/* The items of a list, read as a list iterator reads them (the list may
   change under a callback into Python). */
static int
enc_list_items(Out *o, PyObject *list)
{
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(list); k++) {
        PyObject *item = Py_NewRef(PyList_GET_ITEM(list, k));
        int status = enc_term(o, item);
        Py_DECREF(item);
        if (status != ENC_OK)
            return status;
    }
    return ENC_OK;
}

/* Whether encode.py's _encode_list writes `items` as STRING_EXT: bytes(items)
   succeeds and no item is a bool. 1 yes, 0 no, -1 cannot tell without
   calling an __index__ (the whole list then goes to Python). */
static int
string_verdict(PyObject *const *items, Py_ssize_t n)
{
    int has_bool = 0;
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *item = items[k];
        if (PyLong_CheckExact(item)) {
            int overflow;
            long v = PyLong_AsLongAndOverflow(item, &overflow);
            if (overflow || v < 0 || v > 255)
                return 0;
        }
        else if (PyBool_Check(item))
            has_bool = 1;
        else if (Py_TYPE(item)->tp_as_number != NULL && Py_TYPE(item)->tp_as_number->nb_index != NULL)
            return -1;
        else
            return 0;   /* bytes() stops here with a TypeError */
    }
    return !has_bool;
}

/* encode.py's _encode_list, for a list (live) or a FrozenList's tuple. */
static int
enc_list(Out *o, PyObject *seq)
{
    int is_list = PyList_CheckExact(seq);
    Py_ssize_t n = Py_SIZE(seq);
    PyObject *const *items = is_list ? (PyObject *const *)((PyListObject *)seq)->ob_item
                                     : (PyObject *const *)((PyTupleObject *)seq)->ob_item;
    if (n == 0) {
        RESERVE(o, 1);
        put_u8(o, NIL_EXT);
        return ENC_OK;
    }
    if (n <= 65535 && PyLong_CheckExact(items[0])) {
        int verdict = string_verdict(items, n);
        if (verdict < 0)
            return 1;
        if (verdict) {
            RESERVE(o, 3 + n);
            put_u8(o, STRING_EXT);
            put_u16(o, n);
            for (Py_ssize_t k = 0; k < n; k++)
                put_u8(o, (unsigned)PyLong_AsLong(items[k]));
            return ENC_OK;
        }
    }
    if ((size_t)n > 0xFFFFFFFFu)
        return 1;
    RESERVE(o, 5);
    put_u8(o, LIST_EXT);
    put_u32(o, (uint32_t)n);
    if (enter(o) < 0)
        return ENC_PYTHON;
    int status = is_list ? enc_list_items(o, seq) : enc_items(o, items, n);
    leave(o);
    if (status != ENC_OK)
        return status;
    RESERVE(o, 1);
    put_u8(o, NIL_EXT);
    return ENC_OK;
}

/* A str: the list of its code points (encode.py's _encode_charlist). */
static int
enc_charlist(Out *o, PyObject *text)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    if (n == 0) {
        RESERVE(o, 1);
        put_u8(o, NIL_EXT);
        return ENC_OK;
    }
    if (n <= 65535 && kind == PyUnicode_1BYTE_KIND) {   /* Latin-1 */
        RESERVE(o, 3 + n);
        put_u8(o, STRING_EXT);
        put_u16(o, n);
        put_raw(o, data, n);
        return ENC_OK;
    }
    if ((size_t)n > 0xFFFFFFFFu)
        return 1;
    RESERVE(o, 5 + 5 * n + 1);
    put_u8(o, LIST_EXT);
    put_u32(o, (uint32_t)n);
    for (Py_ssize_t k = 0; k < n; k++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, k);
        if (c < 256) {
            put_u8(o, SMALL_INTEGER_EXT);
            put_u8(o, c);
        }
        else {
            put_u8(o, INTEGER_EXT);
            put_u32(o, c);
        }
    }
    put_u8(o, NIL_EXT);
    return ENC_OK;
}

/* A String: encode.py's _encode_string. */
static int
enc_string(Out *o, PyObject *chars)
{
    Py_ssize_t n = PyBytes_GET_SIZE(chars);
    const unsigned char *s = (const unsigned char *)PyBytes_AS_STRING(chars);
    if (n == 0) {
        RESERVE(o, 1);
        put_u8(o, NIL_EXT);
    }
    else if (n <= 65535) {
        RESERVE(o, 3 + n);
        put_u8(o, STRING_EXT);
        put_u16(o, n);
        put_raw(o, s, n);
    }
    else {
        if ((size_t)n > 0xFFFFFFFFu)
            return 1;
        RESERVE(o, 6 + 2 * n);
        put_u8(o, LIST_EXT);
        put_u32(o, (uint32_t)n);
        for (Py_ssize_t k = 0; k < n; k++) {
            put_u8(o, SMALL_INTEGER_EXT);
            put_u8(o, s[k]);
        }
        put_u8(o, NIL_EXT);
    }
    return ENC_OK;
}

static int
get_u32_field(PyObject *value, uint32_t *out)
{
    if (value == NULL || !PyLong_CheckExact(value))
        return -1;
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (overflow || v < 0 || v > 0xFFFFFFFFLL)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

/* A pid, reference or port: its `ext` when it has one, else the canonical
   encoding of encode.py's _identifier; 1 for what C leaves to Python. */
static int
enc_identifier(Out *o, PyObject *term)
{
    PyTypeObject *type = Py_TYPE(term);
    Py_ssize_t off_ext = type == Pid_type ? off_pid_ext : type == Port_type ? off_port_ext
                                                                           : off_ref_ext;
    PyObject *ext = SLOT(term, off_ext);
    if (ext != NULL && PyBytes_CheckExact(ext) && PyBytes_GET_SIZE(ext) > 0) {
        Py_ssize_t n = PyBytes_GET_SIZE(ext);
        RESERVE(o, n);
        put_raw(o, PyBytes_AS_STRING(ext), n);
        return ENC_OK;
    }
    if (ext == NULL || !(ext == Py_None || PyBytes_CheckExact(ext)))
        return 1;
    uint32_t fields[6];
    int tag, count = 0;
    PyObject *node;
    unsigned long long port_id = 0;
    if (type == Pid_type) {
        node = SLOT(term, off_pid_node);
        tag = NEW_PID_EXT;
        if (get_u32_field(SLOT(term, off_pid_id), &fields[0]) < 0
                || get_u32_field(SLOT(term, off_pid_serial), &fields[1]) < 0
                || get_u32_field(SLOT(term, off_pid_creation), &fields[2]) < 0)
            return 1;
        count = 3;
    }
    else if (type == Reference_type) {
        node = SLOT(term, off_ref_node);
        tag = NEWER_REFERENCE_EXT;
        PyObject *ids = SLOT(term, off_ref_ids);
        if (ids == NULL || !PyTuple_CheckExact(ids) || PyTuple_GET_SIZE(ids) < 1
                || PyTuple_GET_SIZE(ids) > 5
                || get_u32_field(SLOT(term, off_ref_creation), &fields[0]) < 0)
            return 1;
        count = 1 + (int)PyTuple_GET_SIZE(ids);
        for (int k = 1; k < count; k++)
            if (get_u32_field(PyTuple_GET_ITEM(ids, k - 1), &fields[k]) < 0)
                return 1;
    }
    else {
        node = SLOT(term, off_port_node);
        PyObject *id = SLOT(term, off_port_id);
        if (id == NULL || !PyLong_CheckExact(id)
                || get_u32_field(SLOT(term, off_port_creation), &fields[0]) < 0)
            return 1;
        int overflow;
        long long v = PyLong_AsLongLongAndOverflow(id, &overflow);
        if (overflow < 0 || (overflow == 0 && v < 0))
            return 1;
        if (overflow > 0) {
            port_id = PyLong_AsUnsignedLongLong(id);
            if (port_id == (unsigned long long)-1 && PyErr_Occurred()) {
                PyErr_Clear();
                return 1;
            }
        }
        else
            port_id = (unsigned long long)v;
        tag = port_id <= MAX_V3_PORT_NUMBER ? NEW_PORT_EXT : V4_PORT_EXT;
        count = 1;
    }
    if (!is_name(node))
        return 1;
    Py_ssize_t start = o->len;
    RESERVE(o, 3);
    put_u8(o, tag);
    if (tag == NEWER_REFERENCE_EXT)
        put_u16(o, count - 1);
    int status = enc_atom_name(o, node);
    if (status != ENC_OK) {
        o->len = start;
        return status;
    }
    RESERVE(o, 4 * count + 8);
    if (tag == NEW_PORT_EXT)
        put_u32(o, (uint32_t)port_id);
    else if (tag == V4_PORT_EXT) {
        put_u32(o, (uint32_t)(port_id >> 32));
        put_u32(o, (uint32_t)port_id);
    }
    for (int k = 0; k < count; k++)
        put_u32(o, fields[k]);
    return ENC_OK;
}

/* The rarer classes of terms.py, exact types only; 1 for what C leaves to
   Python. */
static int
enc_other(Out *o, PyObject *term, PyTypeObject *type)
{
    if (type == String_type)
        return enc_string(o, term);
    if (type == FrozenList_type)
        return enc_list(o, term);
    if (type == &PyByteArray_Type)
        return enc_binary(o, PyByteArray_AS_STRING(term), PyByteArray_GET_SIZE(term));
    if (type == &PyMemoryView_Type) {
        PyMemoryViewObject *mv = (PyMemoryViewObject *)term;
        /* C-contiguous: what cast("B") and len() give encode.py. */
        if ((mv->flags & _Py_MEMORYVIEW_RELEASED) || (mv->mbuf->flags & _Py_MANAGED_BUFFER_RELEASED)
                || !(mv->flags & (_Py_MEMORYVIEW_C | _Py_MEMORYVIEW_SCALAR))
                || (size_t)mv->view.len > 0xFFFFFFFFu)
            return 1;
        return enc_binary(o, mv->view.buf, mv->view.len);
    }
    if (type == FrozenMap_type) {
        PyObject *pairs = SLOT(term, off_fmap_pairs);
        if (pairs == NULL || !PyTuple_CheckExact(pairs))
            return 1;
        Py_ssize_t n = PyTuple_GET_SIZE(pairs);
        for (Py_ssize_t k = 0; k < n; k++) {
            PyObject *pair = PyTuple_GET_ITEM(pairs, k);
            if (!PyTuple_CheckExact(pair) || PyTuple_GET_SIZE(pair) != 2)
                return 1;
        }
        if ((size_t)n > 0xFFFFFFFFu)
            return 1;
        RESERVE(o, 5);
        put_u8(o, MAP_EXT);
        put_u32(o, (uint32_t)n);
        if (enter(o) < 0)
            return ENC_PYTHON;
        int status = ENC_OK;
        Py_INCREF(pairs);   /* the slot may change under a callback into Python */
        for (Py_ssize_t k = 0; k < n && status == ENC_OK; k++)
            status = enc_items(o, ((PyTupleObject *)PyTuple_GET_ITEM(pairs, k))->ob_item, 2);
        Py_DECREF(pairs);
        leave(o);
        return status;
    }
    if (type == ImproperList_type) {
        PyObject *items = SLOT(term, off_il_items), *tail = SLOT(term, off_il_tail);
        if (items == NULL || tail == NULL || !PyList_CheckExact(items)
                || (size_t)PyList_GET_SIZE(items) > 0xFFFFFFFFu)
            return 1;
        RESERVE(o, 5);
        put_u8(o, LIST_EXT);
        put_u32(o, (uint32_t)PyList_GET_SIZE(items));
        if (enter(o) < 0)
            return ENC_PYTHON;
        Py_INCREF(items);   /* the slots may change under a callback into Python */
        Py_INCREF(tail);
        int status = enc_list_items(o, items);
        if (status == ENC_OK)
            status = enc_term(o, tail);
        Py_DECREF(items);
        Py_DECREF(tail);
        leave(o);
        return status;
    }
    if (type == BitBinary_type) {
        PyObject *data = SLOT(term, off_bit_data), *bits_obj = SLOT(term, off_bit_bits);
        if (data == NULL || bits_obj == NULL || !PyBytes_CheckExact(data)
                || PyBytes_GET_SIZE(data) == 0 || !PyLong_CheckExact(bits_obj)
                || (size_t)PyBytes_GET_SIZE(data) > 0xFFFFFFFFu)
            return 1;
        long bits = PyLong_AsLong(bits_obj);
        if (bits < 1 || bits > 8) {
            PyErr_Clear();
            return 1;
        }
        Py_ssize_t n = PyBytes_GET_SIZE(data);
        if (bits == 8)
            return enc_binary(o, PyBytes_AS_STRING(data), n);
        RESERVE(o, 6 + n);
        put_u8(o, BIT_BINARY_EXT);
        put_u32(o, (uint32_t)n);
        put_u8(o, (unsigned)bits);
        put_raw(o, PyBytes_AS_STRING(data), n - 1);
        put_u8(o, (unsigned char)PyBytes_AS_STRING(data)[n - 1] & ((0xFF00 >> bits) & 0xFF));
        return ENC_OK;
    }
    if (type == Export_type) {
        PyObject *module = SLOT(term, off_export_module), *function = SLOT(term, off_export_function);
        PyObject *arity_obj = SLOT(term, off_export_arity);
        if (!is_name(module) || !is_name(function) || arity_obj == NULL
                || !PyLong_CheckExact(arity_obj))
            return 1;
        long arity = PyLong_AsLong(arity_obj);
        if (arity < 0 || arity > 255) {
            PyErr_Clear();
            return 1;
        }
        Py_ssize_t start = o->len;
        RESERVE(o, 1);
        put_u8(o, EXPORT_EXT);
        int status = enc_atom_name(o, module);
        if (status == ENC_OK)
            status = enc_atom_name(o, function);
        if (status != ENC_OK) {
            o->len = start;
            return status;
        }
        RESERVE(o, 2);
        put_u8(o, SMALL_INTEGER_EXT);
        put_u8(o, (unsigned)arity);
        return ENC_OK;
    }
    if (type == Fun_type) {
        PyObject *ext = SLOT(term, off_fun_ext);
        if (ext == NULL || !PyBytes_CheckExact(ext))
            return 1;
        RESERVE(o, PyBytes_GET_SIZE(ext));
        put_raw(o, PyBytes_AS_STRING(ext), PyBytes_GET_SIZE(ext));
        return ENC_OK;
    }
    return 1;
}

/* encode.py's _encode: the common types first, exact types only. Returns
   ENC_OK, ENC_ERROR (an exception to raise) or ENC_PYTHON (hand the whole
   call to Python); a part that returns 1 is left to _encode. */
static int
enc_term(Out *o, PyObject *term)
{
    PyTypeObject *type = Py_TYPE(term);
    int status;
    if (type == &PyTuple_Type) {
        Py_ssize_t n = PyTuple_GET_SIZE(term);
        if ((size_t)n > 0xFFFFFFFFu)
            return enc_python(o, term);
        RESERVE(o, 5);
        if (n < 256) {
            put_u8(o, SMALL_TUPLE_EXT);
            put_u8(o, (unsigned)n);
        }
        else {
            put_u8(o, LARGE_TUPLE_EXT);
            put_u32(o, (uint32_t)n);
        }
        if (n == 0)
            return ENC_OK;
        if (enter(o) < 0)
            return ENC_PYTHON;
        status = enc_items(o, ((PyTupleObject *)term)->ob_item, n);
        leave(o);
        return status;
    }
    if (type == Atom_type)
        status = enc_atom_name(o, term);
    else if (type == &PyLong_Type)
        status = enc_int(o, term);
    else if (type == &PyBytes_Type) {
        if ((size_t)PyBytes_GET_SIZE(term) > 0xFFFFFFFFu)
            status = 1;
        else
            status = enc_binary(o, PyBytes_AS_STRING(term), PyBytes_GET_SIZE(term));
    }
    else if (type == Pid_type || type == Reference_type || type == Port_type)
        status = enc_identifier(o, term);
    else if (type == &PyList_Type)
        status = enc_list(o, term);
    else if (type == &PyDict_Type) {
        Py_ssize_t n = PyDict_GET_SIZE(term), pos = 0;
        PyObject *key, *value;
        if ((size_t)n > 0xFFFFFFFFu)
            return enc_python(o, term);
        RESERVE(o, 5);
        put_u8(o, MAP_EXT);
        put_u32(o, (uint32_t)n);
        if (n == 0)
            return ENC_OK;
        if (enter(o) < 0)
            return ENC_PYTHON;
        status = ENC_OK;
        while (status == ENC_OK && PyDict_Next(term, &pos, &key, &value)) {
            Py_INCREF(key);
            Py_INCREF(value);
            status = enc_term(o, key);
            if (status == ENC_OK)
                status = enc_term(o, value);
            Py_DECREF(key);
            Py_DECREF(value);
            if (status == ENC_OK && PyDict_GET_SIZE(term) != n) {
                PyErr_SetString(PyExc_RuntimeError, "dictionary changed size during iteration");
                status = ENC_ERROR;
            }
        }
        leave(o);
        return status;
    }
    else if (term == Py_True)
        status = enc_ascii_atom(o, "true");
    else if (term == Py_False)
        status = enc_ascii_atom(o, "false");
    else if (term == Py_None)
        status = enc_ascii_atom(o, "undefined");
    else if (type == &PyFloat_Type) {
        double x = PyFloat_AS_DOUBLE(term);
        if (!isfinite(x))
            status = 1;
        else {
            RESERVE(o, 9);
            put_u8(o, NEW_FLOAT_EXT);
            if (PyFloat_Pack8(x, o->p + o->len, 0) < 0)
                return ENC_ERROR;
            o->len += 8;
            status = ENC_OK;
        }
    }
    else if (type == &PyUnicode_Type)
        status = enc_charlist(o, term);
    else
        status = enc_other(o, term, type);
    return status == 1 ? enc_python(o, term) : status;
}

static PyObject *
out_finish(Out *o)
{
    if (o->bytes == NULL)
        return PyBytes_FromStringAndSize(o->stack, o->len);
    PyObject *result = o->bytes;
    o->bytes = NULL;
    if (_PyBytes_Resize(&result, o->len) < 0)
        return NULL;
    return result;
}

PyDoc_STRVAR(encode_doc,
"encode($module, term, /, *, compressed=False)\n--\n\n"
"The external format of `term`, starting with the version byte 131.\n\n"
"The C implementation of bridge.etf.encode.encode, with the same bytes and\n"
"errors.");

static PyObject *
c_encode(PyObject *module, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (!check_ready())
        return NULL;
    PyObject *compressed = Py_False;
    PyObject *names[1] = {s_compressed}, **outs[1] = {&compressed};
#if FRAME_BUDGET
    PyThreadState *ts = PyThreadState_Get();
    int remaining = ts->recursion_remaining;
#endif
    if (nargs != 1 || parse_keywords(kwnames, args + nargs, names, outs, 1) < 0
            || budget_take(FRAMES_ENCODE) < 0)
        return handed_to_python(py_encode, args, nargs, kwnames);
    Out o;
    o.p = o.stack;
    o.len = 0;
    o.cap = (Py_ssize_t)sizeof(o.stack);
    o.bytes = NULL;
    o.level = 0;
    if (compressed == Py_False)
        put_u8(&o, VERSION);
    int status = enc_term(&o, args[0]);
#if FRAME_BUDGET
    ts->recursion_remaining = remaining;
#else
    budget_give(FRAMES_ENCODE);
#endif
    if (status != ENC_OK) {
        Py_XDECREF(o.bytes);
        if (status == ENC_ERROR)
            return NULL;
        return handed_to_python(py_encode, args, nargs, kwnames);
    }
    PyObject *raw = out_finish(&o);
    if (raw == NULL || compressed == Py_False)
        return raw;
    PyObject *level = compressed == Py_True ? PyLong_FromLong(6) : Py_NewRef(compressed);
    long value = -1;
    if (level != NULL && PyLong_CheckExact(level))
        value = PyLong_AsLong(level);
    if (level == NULL || value < 0 || value > 9) {
        if (!PyErr_Occurred() || !must_propagate()) {
            PyErr_Clear();
            PyErr_Format(PyExc_ValueError, "compressed is True, False or a level 0..9, not %R",
                         compressed);
        }
        Py_XDECREF(level);
        Py_DECREF(raw);
        return NULL;
    }
    PyObject *result = PyObject_CallFunctionObjArgs(py_compress, raw, level, NULL);
    Py_DECREF(level);
    Py_DECREF(raw);
    return result;
}

/* ------------------------------------------------------------------ */
/* Setup.                                                              */

static int
get_attr(PyObject *from, const char *name, PyObject **out)
{
    PyObject *value = PyObject_GetAttrString(from, name);
    if (value == NULL)
        return -1;
    Py_XSETREF(*out, value);
    return 0;
}

static int
get_type(PyObject *from, const char *name, PyTypeObject **out)
{
    PyObject *value = PyObject_GetAttrString(from, name);
    if (value == NULL)
        return -1;
    if (!PyType_Check(value)) {
        PyErr_Format(PyExc_TypeError, "%s is not a class", name);
        Py_DECREF(value);
        return -1;
    }
    Py_XSETREF(*out, (PyTypeObject *)value);
    return 0;
}

/* The offset of the slot `name` of `type` (a __slots__ member). */
static int
slot_offset(PyTypeObject *type, const char *name, Py_ssize_t *out)
{
    PyObject *descr = PyObject_GetAttrString((PyObject *)type, name);
    if (descr == NULL)
        return -1;
    int ok = Py_IS_TYPE(descr, &PyMemberDescr_Type)
             && ((PyMemberDescrObject *)descr)->d_member->type == T_OBJECT_EX;
    if (ok)
        *out = ((PyMemberDescrObject *)descr)->d_member->offset;
    Py_DECREF(descr);
    if (!ok) {
        PyErr_Format(PyExc_TypeError, "%s.%s is not a slot", type->tp_name, name);
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(setup_doc,
"setup($module, terms, decode, encode, /)\n--\n\n"
"Connect the C codec to the Python one: the modules bridge.etf.terms,\n"
"bridge.etf.decode and bridge.etf.encode (their classes, and the functions\n"
"C hands calls and terms to).");

static PyObject *
c_setup(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "setup(terms, decode, encode)");
        return NULL;
    }
    PyObject *terms = args[0], *dec = args[1], *enc = args[2], *zlib = NULL;
    ready = 0;
    if (get_type(terms, "Atom", &Atom_type) < 0 || get_type(terms, "Pid", &Pid_type) < 0
            || get_type(terms, "Reference", &Reference_type) < 0
            || get_type(terms, "Port", &Port_type) < 0
            || get_type(terms, "BitBinary", &BitBinary_type) < 0
            || get_type(terms, "ImproperList", &ImproperList_type) < 0
            || get_type(terms, "Export", &Export_type) < 0 || get_type(terms, "Fun", &Fun_type) < 0
            || get_type(terms, "String", &String_type) < 0
            || get_type(terms, "FrozenList", &FrozenList_type) < 0
            || get_type(terms, "FrozenMap", &FrozenMap_type) < 0
            || get_attr(terms, "atom", &atom_func) < 0
            || get_attr(dec, "decode", &py_decode) < 0
            || get_attr(dec, "decode_prefix", &py_decode_prefix) < 0
            || get_attr(dec, "_READERS", &py_readers) < 0 || get_attr(dec, "_map", &py_map) < 0
            || get_attr(dec, "_as_input", &py_as_input) < 0
            || get_attr(dec, "DEFAULT_MAX_DEPTH", &default_max_depth) < 0
            || get_attr(dec, "DEFAULT_MAX_SIZE", &default_max_size) < 0
            || get_attr(enc, "encode", &py_encode) < 0
            || get_attr(enc, "_encode", &py_encode_term) < 0
            || get_attr(enc, "_compress", &py_compress) < 0)
        return NULL;
    if (!PyList_CheckExact(py_readers) || PyList_GET_SIZE(py_readers) != 256) {
        PyErr_SetString(PyExc_TypeError, "decode._READERS is not a list of 256 readers");
        return NULL;
    }
    if (slot_offset(Pid_type, "node", &off_pid_node) < 0
            || slot_offset(Pid_type, "id", &off_pid_id) < 0
            || slot_offset(Pid_type, "serial", &off_pid_serial) < 0
            || slot_offset(Pid_type, "creation", &off_pid_creation) < 0
            || slot_offset(Pid_type, "ext", &off_pid_ext) < 0
            || slot_offset(Reference_type, "node", &off_ref_node) < 0
            || slot_offset(Reference_type, "creation", &off_ref_creation) < 0
            || slot_offset(Reference_type, "ids", &off_ref_ids) < 0
            || slot_offset(Reference_type, "ext", &off_ref_ext) < 0
            || slot_offset(Port_type, "node", &off_port_node) < 0
            || slot_offset(Port_type, "id", &off_port_id) < 0
            || slot_offset(Port_type, "creation", &off_port_creation) < 0
            || slot_offset(Port_type, "ext", &off_port_ext) < 0
            || slot_offset(BitBinary_type, "data", &off_bit_data) < 0
            || slot_offset(BitBinary_type, "bits", &off_bit_bits) < 0
            || slot_offset(ImproperList_type, "items", &off_il_items) < 0
            || slot_offset(ImproperList_type, "tail", &off_il_tail) < 0
            || slot_offset(Export_type, "module", &off_export_module) < 0
            || slot_offset(Export_type, "function", &off_export_function) < 0
            || slot_offset(Export_type, "arity", &off_export_arity) < 0
            || slot_offset(Fun_type, "ext", &off_fun_ext) < 0
            || slot_offset(FrozenMap_type, "pairs", &off_fmap_pairs) < 0)
        return NULL;
    if ((zlib = PyImport_ImportModule("zlib")) == NULL)
        return NULL;
    int failed = get_attr(zlib, "decompressobj", &zlib_decompressobj);
    Py_DECREF(zlib);
    if (failed)
        return NULL;
    /* Values cached from an earlier setup may be of other classes. */
    for (int k = 0; k < ATOM_SLOTS; k++) {
        Py_CLEAR(atom_slots[k].key);
        Py_CLEAR(atom_slots[k].value);
    }
    for (int k = 0; k < IDENTIFIER_SLOTS; k++) {
        Py_CLEAR(identifier_slots[k].key);
        Py_CLEAR(identifier_slots[k].value);
    }
    ready = 1;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"decode", (PyCFunction)(void (*)(void))c_decode, METH_FASTCALL | METH_KEYWORDS, decode_doc},
    {"decode_prefix", (PyCFunction)(void (*)(void))c_decode_prefix, METH_FASTCALL | METH_KEYWORDS,
     decode_prefix_doc},
    {"encode", (PyCFunction)(void (*)(void))c_encode, METH_FASTCALL | METH_KEYWORDS, encode_doc},
    {"setup", (PyCFunction)(void (*)(void))c_setup, METH_FASTCALL, setup_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_cetf",
    "The C accelerator of bridge.etf: decode, decode_prefix and encode with the\n"
    "semantics of decode.py and encode.py (see the top of _cetf.c).",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__cetf(void)
{
    s_max_depth = PyUnicode_InternFromString("max_depth");
    s_max_size = PyUnicode_InternFromString("max_size");
    s_compressed = PyUnicode_InternFromString("compressed");
    s_append = PyUnicode_InternFromString("append");
    s_decompress = PyUnicode_InternFromString("decompress");
    s_eof = PyUnicode_InternFromString("eof");
    s_unconsumed_tail = PyUnicode_InternFromString("unconsumed_tail");
    s_unused_data = PyUnicode_InternFromString("unused_data");
    s_join = PyUnicode_InternFromString("join");
    empty_bytes = PyBytes_FromStringAndSize(NULL, 0);
    empty_tuple = PyTuple_New(0);
    if (!s_join || !empty_tuple || !s_max_depth || !s_max_size || !s_compressed || !s_append || !s_decompress || !s_eof
            || !s_unconsumed_tail || !s_unused_data || !empty_bytes)
        return NULL;
    return PyModule_Create(&module_def);
}
