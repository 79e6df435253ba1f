/* allreduce.c - MPI_Allreduce checked against closed forms. Rank r
 * contributes r + 1 (the sum is size*(size+1)/2), its rank for MPI_MAX and
 * MPI_MIN (size - 1 and 0), and a vector v[i] = r*i + 1 (sums
 * i*size*(size-1)/2 + size). Every rank checks the results it got; rank 0
 * prints them, and the program exits non-zero if any rank saw a wrong one.
 *
 *     mpirun -n 4 ./allreduce [LENGTH]    (vector length, default 1000) */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
	MPI_Init(&argc, &argv);
	int rank, size;
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
	if (n < 1 || n > 100000000) {
		if (rank == 0)
			fprintf(stderr, "usage: allreduce [LENGTH 1..1e8]\n");
		MPI_Finalize();
		return 2;
	}

	long long mine = rank + 1, sum = 0;
	int max = -1, min = -1;
	MPI_Allreduce(&mine, &sum, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
	MPI_Allreduce(&rank, &max, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
	MPI_Allreduce(&rank, &min, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);

	long long *v = malloc((size_t)n * sizeof(*v)), *vs = malloc((size_t)n * sizeof(*vs));
	if (!v || !vs) {
		fprintf(stderr, "allreduce: rank %d: out of memory\n", rank);
		MPI_Abort(MPI_COMM_WORLD, 1);
	}
	for (long i = 0; i < n; i++)
		v[i] = (long long)rank * i + 1;
	MPI_Allreduce(v, vs, (int)n, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);

	const long long tri = (long long)size * (size - 1) / 2;
	int wrong = 0;
	wrong += sum != (long long)size * (size + 1) / 2;
	wrong += max != size - 1;
	wrong += min != 0;
	long bad_elems = 0;
	for (long i = 0; i < n; i++)
		bad_elems += vs[i] != i * tri + size;
	wrong += bad_elems != 0;

	int ranks_wrong = 0, w = wrong != 0;
	MPI_Allreduce(&w, &ranks_wrong, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
	if (rank == 0) {
		printf("allreduce over %d ranks: sum(rank+1) = %lld (expected %lld), max(rank) = %d, "
		       "min(rank) = %d, "
		       "vector of %ld: v[%ld] = %lld (expected %lld), %ld wrong elements\n",
		    size, sum, (long long)size * (size + 1) / 2, max, min, n, n - 1, vs[n - 1],
		    (n - 1) * tri + size, bad_elems);
		printf("allreduce: %s (%d of %d ranks saw a wrong result)\n", ranks_wrong ? "WRONG" : "ok",
		    ranks_wrong, size);
	}
	free(v);
	free(vs);
	MPI_Finalize();
	return ranks_wrong ? 1 : 0;
}
