/* Decoding: decode.py in C (see the top of _cetf.c for how the two relate).

dec_term reads a term, recursing into containers (decode.py's loop keeps a
stack of them instead; C hands the call to Python past MAX_NESTING), and
returns NULL without an exception for anything it does not decode: the call
then goes to decode.py whole, which raises the error.

One translation unit for one direction of the codec, so that the compiler
sees the per-tag functions of the hot path together and inlines them. */

#include "_cetf.h"

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

void
clear_decode_caches(void)
{
    for (int k = 0; k < ATOM_SLOTS; k++) {
        Py_CLEAR(atom_slots[k].key);
        Py_CLEAR(atom_slots[k].value);
    }
    for (int k = 0; k < IDENTIFIER_SLOTS; k++) {
        Py_CLEAR(identifier_slots[k].key);
        Py_CLEAR(identifier_slots[k].value);
    }
}


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
        const char *name = value == Py_True ? "true" : "false";
        PyObject *named = PyObject_CallFunction(atom_func, "s", name);
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

const char decode_doc[] = PyDoc_STR(
"decode($module, data, *, max_depth=300, max_size=134217728)\n--\n\n"
"Decode `data`, which must hold exactly one term (version byte first).\n\n"
"The C implementation of bridge.etf.decode.decode, with the same results\n"
"and errors.");

PyObject *
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

const char decode_prefix_doc[] = PyDoc_STR(
"decode_prefix($module, data, offset=0, *, max_depth=300, max_size=134217728)\n--\n\n"
"Decode the one term that starts at `offset` (with its version byte) and\n"
"return `(term, end)`, `end` being the offset just after it.\n\n"
"The C implementation of bridge.etf.decode.decode_prefix.");

PyObject *
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
