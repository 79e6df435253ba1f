/* ring.c - an MPI token ring: rank 0 starts a token at 0, each rank adds
 * its own rank number and passes it to the next, around the ring ROUNDS
 * times. After round k every rank r must have received
 *     k * size*(size-1)/2 + r*(r-1)/2
 * and rank 0 ends with ROUNDS * size*(size-1)/2. Every rank checks what it
 * received; rank 0 prints the result and the program exits non-zero if any
 * rank saw a wrong value.
 *
 *     mpirun -n 4 ./ring [ROUNDS]        (default 10)
 *     mmpirun -n 8 ./ring 100 */
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
	long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 10;
	if (rounds < 1) {
		if (rank == 0)
			fprintf(stderr, "usage: ring [ROUNDS >= 1]\n");
		MPI_Finalize();
		return 2;
	}

	const long long per_round = (long long)size * (size - 1) / 2;
	long long token = 0;
	int errors = 0;
	for (long k = 0; k < rounds; k++) {
		if (size == 1) {
			token += rank; /* a ring of one: nothing to pass */
			continue;
		}
		if (rank == 0) {
			if (token != k * per_round)
				errors++;
			MPI_Send(&token, 1, MPI_LONG_LONG, 1, 0, MPI_COMM_WORLD);
			MPI_Recv(&token, 1, MPI_LONG_LONG, size - 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		} else {
			MPI_Recv(&token, 1, MPI_LONG_LONG, rank - 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
			/* what ranks 0..rank-1 added in this round, on top of the earlier rounds */
			if (token != k * per_round + (long long)rank * (rank - 1) / 2)
				errors++;
			token += rank;
			MPI_Send(&token, 1, MPI_LONG_LONG, (rank + 1) % size, 0, MPI_COMM_WORLD);
		}
	}

	int total_errors = 0;
	MPI_Reduce(&errors, &total_errors, 1, MPI_INT, MPI_SUM, 0, MPI_COMM_WORLD);
	int status = 0;
	if (rank == 0) {
		long long expected = rounds * per_round;
		char host[MPI_MAX_PROCESSOR_NAME];
		int len;
		MPI_Get_processor_name(host, &len);
		printf("ring: %ld rounds over %d ranks (rank 0 on %s): token = %lld, expected %lld: %s\n",
		    rounds, size, host, token, expected, token == expected && !total_errors ? "ok" : "WRONG");
		if (total_errors)
			printf("ring: %d wrong values seen along the way\n", total_errors);
		status = token != expected || total_errors;
	}
	MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
	MPI_Finalize();
	return status;
}
