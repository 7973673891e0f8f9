/* Encoding: encode.py in C (see the top of _cetf.c for how the two relate).

enc_term writes a term into an Out buffer (on the stack, then a bytes object
grown in place, so a large binary is copied once, into the result). A part
that returns 1 is not written by C: enc_term gives that term to encode.py's
_encode, which writes it or raises its error. ENC_PYTHON hands the whole call
to encode.py.

One translation unit for one direction of the codec, so that the compiler
sees the per-tag functions of the hot path together and inlines them. */

#include "_cetf.h"

/* Encoding: frames per container (the most the pure encoder spends on one
   level: _encode, _encode_other, _encode_list, _encode_items for a
   FrozenList), and at the start, for encode itself and the deepest leaf
   (_encode_other, _identifier, _atom, _encode_atom), with room to spare. */
#define FRAMES_PER_LEVEL 4
#define FRAMES_ENCODE 12

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

/* Room for n more bytes, or return ENC_ERROR from the caller. */
#define RESERVE(o, n) \
    do { \
        if ((o)->len + (Py_ssize_t)(n) > (o)->cap && out_grow((o), (n)) < 0) \
            return ENC_ERROR; \
    } while (0)

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
/* The magnitude's bytes, least significant first, unsigned. Python 3.13 gave
 * the private _PyLong_AsByteArray a sixth argument (raise on overflow). */
static int
as_little_endian(PyLongObject *v, unsigned char *bytes, size_t size)
{
#if PY_VERSION_HEX >= 0x030D0000
    return _PyLong_AsByteArray(v, bytes, size, 1, 0, 1);
#else
    return _PyLong_AsByteArray(v, bytes, size, 1, 0);
#endif
}

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
        if (as_little_endian((PyLongObject *)magnitude, (unsigned char *)o->p + o->len,
                             size) < 0)
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
        else if (Py_TYPE(item)->tp_as_number != NULL
                 && Py_TYPE(item)->tp_as_number->nb_index != NULL)
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
        tag = v3_port_limit >= 0 && port_id <= (unsigned long long)v3_port_limit
            ? NEW_PORT_EXT : V4_PORT_EXT;
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
        PyObject *module = SLOT(term, off_export_module);
        PyObject *function = SLOT(term, off_export_function);
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

const char encode_doc[] = PyDoc_STR(
"encode($module, term, *, compressed=False)\n--\n\n"
"The external format of `term`, starting with the version byte 131.\n\n"
"The C implementation of bridge.etf.encode.encode, with the same bytes and\n"
"errors.");

PyObject *
c_encode(PyObject *module, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (!check_ready())
        return NULL;
    PyObject *compressed = Py_False;
    PyObject *names[1] = {s_compressed}, **outs[1] = {&compressed};
#if FRAME_BUDGET
    PyThreadState *ts = PyThreadState_Get();
    int remaining = ts->FRAMES_LEFT;
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
    ts->FRAMES_LEFT = remaining;
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
